"""Speed and memory measurement for benchmark scripts (never for unit tests).

Peak memory of one piece of work is only meaningful in a process that did nothing else, so
:func:`run_isolated` runs a function in a fresh ``spawn`` process; inside it, :class:`PeakMemory` reports
the growth of the peak resident set (CPU: ``ru_maxrss``) or the peak allocated CUDA memory.
"""
import importlib
import multiprocessing as mp
import resource
import threading
import time
from typing import Any, Callable, Dict, Optional

import torch


class PeakMemory:
    """Context manager measuring the peak memory used inside it, in MiB (``.mib`` after exit).

    On CUDA: ``torch.cuda.max_memory_allocated`` above what was allocated on entry. On CPU: the growth of
    the process's peak resident set size (``ru_maxrss``), which only rises, so run it in a fresh process.
    """

    def __init__(self, device: str = 'cpu'):
        self.cuda = str(device).startswith('cuda')
        self.mib: Optional[float] = None

    def __enter__(self) -> 'PeakMemory':
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self._base = torch.cuda.memory_allocated()
        else:
            self._base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        return self

    def __exit__(self, *exc) -> None:
        if self.cuda:
            torch.cuda.synchronize()
            self.mib = (torch.cuda.max_memory_allocated() - self._base) / 2**20
        else:
            self.mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self._base) / 1024


def release_freed_memory() -> None:
    """Return freed heap pages to the OS (glibc ``malloc_trim``) so that RSS deltas measure the next run only."""
    import ctypes
    import gc
    gc.collect()
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the RSS baseline may include freed pages
        pass


class SampledPeakMemory:
    """Peak memory above the level at entry, in MiB (``.peak_mb``): ``torch.cuda.max_memory_allocated`` on CUDA, the
    process RSS (psutil, sampled every ``interval`` seconds in a thread, after returning freed pages to the OS) on
    the CPU. Unlike :class:`PeakMemory` it can compare several runs inside one process."""

    def __init__(self, device: torch.device, interval: float = 0.002) -> None:
        self.device = torch.device(device)
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()

    def _poll(self, proc, base: int) -> None:
        peak = base
        while not self._stop.is_set():
            peak = max(peak, proc.memory_info().rss)
            time.sleep(self.interval)
        self.peak_mb = max(self.peak_mb, (max(peak, proc.memory_info().rss) - base) / 2**20)

    def __enter__(self) -> 'SampledPeakMemory':
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._base = torch.cuda.memory_allocated(self.device)
        else:
            import psutil
            release_freed_memory()
            proc = psutil.Process()
            self._thread = threading.Thread(target=self._poll, args=(proc, proc.memory_info().rss), daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            self.peak_mb = (torch.cuda.max_memory_allocated(self.device) - self._base) / 2**20
        else:
            self._stop.set()
            self._thread.join()


def time_steps(step: Callable[[], Any], iters: int, warmup: int = 1, device: str = 'cpu') -> float:
    """Seconds per call of ``step`` averaged over ``iters`` calls after ``warmup`` untimed ones."""
    if iters < 1 or warmup < 0:
        raise ValueError(f'time_steps: iters must be >= 1 and warmup >= 0, got iters={iters}, warmup={warmup}')
    cuda = str(device).startswith('cuda')
    for _ in range(warmup):
        step()
    if cuda:
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(iters):
        step()
    if cuda:
        torch.cuda.synchronize()
    return (time.perf_counter() - t0) / iters


def _child(target: str, kwargs: dict, queue) -> None:
    try:
        module, name = target.rsplit(':', 1)
        queue.put(('ok', getattr(importlib.import_module(module), name)(**kwargs)))
    except BaseException as e:  # report any failure to the parent instead of hanging it
        import traceback
        queue.put(('error', f'{type(e).__name__}: {e}\n{traceback.format_exc()}'))


def run_isolated(target: str, timeout: float = 3600, **kwargs) -> Dict[str, Any]:
    """Call ``module:function(**kwargs)`` in a fresh ``spawn`` process and return its (picklable) result.

    Raises:
        RuntimeError: the child raised (its traceback is included), died, or ran past ``timeout`` seconds.
    """
    if ':' not in target:
        raise ValueError(f"run_isolated: target must be 'module:function', got {target!r}")
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(target, kwargs, queue))
    proc.start()
    try:
        status, value = queue.get(timeout=timeout)
    except Exception:
        proc.kill()
        proc.join()
        raise RuntimeError(f'run_isolated: {target} gave no result within {timeout} s (exit code {proc.exitcode})')
    proc.join()
    if status != 'ok':
        raise RuntimeError(f'run_isolated: {target} failed in its process:\n{value}')
    return value
