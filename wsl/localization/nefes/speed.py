"""Refinement speed and memory of a NeFeS field backend: iterations/s of render + fusion + backward, peak memory.

Each measurement runs in a fresh process (``spawn``) so that peak memory (``ru_maxrss`` growth on CPU,
``torch.cuda.max_memory_allocated`` on CUDA) belongs to that backend alone.
"""
import multiprocessing as mp
import resource
import time
from typing import Dict, Optional, Sequence

# The paper's field (MLPs) and a voxel-grid field of the kind shipped in configs/nefes/ (chess bounds).
PAPER_MLP = dict(coarse=dict(type='NeFeSField'), fine=dict(type='NeFeSField'))
GRID_FIELD = dict(type='NeFeSGridField', bounds=((-2.0, -2.0, -2.0), (2.0, 2.0, 2.0)), grid_channels=4, width=64)
FAST_GRID = dict(coarse=dict(GRID_FIELD, resolutions=(32, 64)), fine=dict(GRID_FIELD, resolutions=(32, 64, 128)))
BACKENDS = dict(mlp=PAPER_MLP, grid=FAST_GRID)


def _measure(backend: str, render_size: Sequence[int], iters: int, warmup: int, device: str, threads: Optional[int],
             queue) -> None:
    import torch

    from wsl.localization.nefes.feature_matching import per_channel_cosine_loss
    from wsl.localization.nefes.nefes import NeFeS
    from wsl.localization.nefes.refine import NeFeSPoseCorrection
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = NeFeS(**BACKENDS[backend]).to(device).requires_grad_(False)
    h, w = render_size
    pose = torch.cat([torch.eye(3), torch.tensor([[0.1], [0.0], [0.5]])], 1)[None].to(device)
    hist = torch.full((1, 10), 10.0, device=device)
    target = torch.randn(1, 128, h, w, device=device)
    corr = NeFeSPoseCorrection(1).to(device)
    optim = corr.optimizer(0.01, 0.1)

    def step():
        out = model.render_image(corr(pose), hist, h, w, 0.8 * w, 0.0, 2.0, fuse=True)
        loss = per_channel_cosine_loss(out['fused'], target)
        optim.zero_grad()
        loss.backward()
        optim.step()

    cuda = device.startswith('cuda')
    if cuda:
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(warmup):
        step()
    if cuda:
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(iters):
        step()
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    peak = (torch.cuda.max_memory_allocated() - base) / 2**20 if cuda else \
        (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss) / 1024
    queue.put(dict(backend=backend, it_per_s=iters / seconds, sec_per_it=seconds / iters, peak_mem_mb=peak,
                   params=sum(p.numel() for p in model.parameters()), device=device,
                   render_size=f'{h}x{w}', samples_per_ray=model.renderer.num_coarse + model.renderer.num_fine))


def measure_refinement_speed(backend: str, render_size: Sequence[int] = (60, 80), iters: int = 3, warmup: int = 1,
                             device: str = 'cpu', threads: Optional[int] = None) -> Dict[str, float]:
    """Time direct-pose refinement iterations of a full render (paper defaults: 60 x 80, 64 + 64 samples).

    Args:
        backend (str): ``'mlp'`` (the paper's NeFeS) or ``'grid'`` (:class:`~.grid_field.NeFeSGridField`).
        render_size (Sequence[int]): (h, w).
        iters (int): timed iterations.
        warmup (int): untimed iterations first (their memory still counts in the peak).
        device (str): torch device.
        threads (int | None): torch CPU threads in the measuring process.

    Returns:
        dict: ``it_per_s``, ``sec_per_it``, ``peak_mem_mb`` (growth of the process peak RSS on CPU; peak
        allocated CUDA memory on GPU), ``params``, ``device``, ``render_size``, ``samples_per_ray``.
    """
    if backend not in BACKENDS:
        raise ValueError(f'measure_refinement_speed: backend must be one of {sorted(BACKENDS)}, got {backend!r}')
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    proc = ctx.Process(target=_measure, args=(backend, tuple(render_size), iters, warmup, device, threads, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result
