"""Refinement speed and memory of a NeFeS field backend: iterations/s of render + fusion + backward, peak memory.

Each measurement runs in a fresh process (:func:`wsl.utils.profiling.run_isolated`) so that peak memory belongs to
that backend alone, measured by :class:`wsl.utils.profiling.SampledPeakMemory`: on CPU the peak resident set size
(sampled every millisecond) above its value before the first iteration, on CUDA ``torch.cuda.max_memory_allocated``
above the memory allocated before it.
"""
from typing import Dict, Optional, Sequence

# The paper's field (MLPs) and a voxel-grid field of the kind shipped in configs/nefes/ (chess bounds).
PAPER_MLP = dict(coarse=dict(type='NeFeSField'), fine=dict(type='NeFeSField'))
GRID_FIELD = dict(type='NeFeSGridField', bounds=((-2.0, -2.0, -2.0), (2.0, 2.0, 2.0)), grid_channels=4, width=64)
FAST_GRID = dict(coarse=dict(GRID_FIELD, resolutions=(32, 64)), fine=dict(GRID_FIELD, resolutions=(32, 64, 128)))
BACKENDS = dict(mlp=PAPER_MLP, grid=FAST_GRID)


def _measure(backend: str, render_size: Sequence[int], iters: int, warmup: int, device: str,
             threads: Optional[int]) -> Dict[str, object]:
    """One backend's measurement, in the calling process (see :func:`measure_refinement_speed`)."""
    import torch

    from wsl.localization.nefes.feature_matching import per_channel_cosine_loss
    from wsl.localization.nefes.nefes import NeFeS
    from wsl.localization.nefes.refine import NeFeSPoseCorrection
    from wsl.utils.profiling import SampledPeakMemory, time_steps
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

    with SampledPeakMemory(device, interval=1e-3) as mem:  # the warm-up iterations count in the peak too
        sec_per_it = time_steps(step, iters, warmup, device)
    return dict(backend=backend, it_per_s=1 / sec_per_it, sec_per_it=sec_per_it, peak_mem_mb=mem.peak_mb,
                params=sum(p.numel() for p in model.parameters()), device=device, render_size=f'{h}x{w}',
                samples_per_ray=model.renderer.num_coarse + model.renderer.num_fine)


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
        dict: ``it_per_s``, ``sec_per_it``, ``peak_mem_mb`` (peak RSS above its value before the first
        iteration on CPU; peak allocated CUDA memory above the allocation before it on GPU), ``params``,
        ``device``, ``render_size``, ``samples_per_ray``.
    """
    if backend not in BACKENDS:
        raise ValueError(f'measure_refinement_speed: backend must be one of {sorted(BACKENDS)}, got {backend!r}')
    from wsl.utils.profiling import run_isolated
    return run_isolated('wsl.localization.nefes.speed:_measure', backend=backend, render_size=tuple(render_size),
                        iters=iters, warmup=warmup, device=device, threads=threads)
