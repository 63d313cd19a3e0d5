"""Depth sampling along rays: stratified coarse samples and inverse-CDF fine samples."""
from typing import Optional

import torch
from torch import Tensor


def stratified_depths(near: float, far: float, num_samples: int, num_rays: int, perturb: bool,
                      device=None, dtype=torch.float32, generator: Optional[torch.Generator] = None) -> Tensor:
    """Evenly spaced depths in [near, far], jittered within their intervals when ``perturb``.

    Returns:
        Tensor: (num_rays, num_samples) sorted depths.
    """
    t = torch.linspace(near, far, num_samples, device=device, dtype=dtype).expand(num_rays, num_samples)
    if not perturb:
        return t.contiguous()
    mids = 0.5 * (t[:, 1:] + t[:, :-1])
    upper = torch.cat([mids, t[:, -1:]], dim=-1)
    lower = torch.cat([t[:, :1], mids], dim=-1)
    u = torch.rand(t.shape, device=device, dtype=dtype, generator=generator)
    return lower + (upper - lower) * u


def sample_pdf(bins: Tensor, weights: Tensor, num_samples: int, deterministic: bool,
               eps: float = 1e-5, generator: Optional[torch.Generator] = None) -> Tensor:
    """Inverse-transform sampling of a piecewise-constant PDF along each ray.

    Args:
        bins (Tensor): (R, M + 1) bin edges.
        weights (Tensor): (R, M) non-negative bin weights (``eps`` is added, as in NeRF).
        num_samples (int): samples per ray.
        deterministic (bool): evenly spaced u (test time) instead of uniform random u (training).

    Returns:
        Tensor: (R, num_samples) depths, detached from ``weights`` and ``bins``.
    """
    bins, weights = bins.detach(), weights.detach() + eps
    pdf = weights / weights.sum(-1, keepdim=True)
    cdf = torch.cat([torch.zeros_like(pdf[:, :1]), torch.cumsum(pdf, -1)], dim=-1)  # (R, M+1)
    if deterministic:
        u = torch.linspace(0, 1, num_samples, device=bins.device, dtype=bins.dtype).expand(len(bins), -1)
    else:
        u = torch.rand(len(bins), num_samples, device=bins.device, dtype=bins.dtype, generator=generator)
    u = u.contiguous()
    idx = torch.searchsorted(cdf, u, right=True)
    below = (idx - 1).clamp(0, cdf.shape[-1] - 1)
    above = idx.clamp(0, cdf.shape[-1] - 1)
    cdf_lo, cdf_hi = torch.gather(cdf, 1, below), torch.gather(cdf, 1, above)
    bin_lo, bin_hi = torch.gather(bins, 1, below), torch.gather(bins, 1, above)
    denom = cdf_hi - cdf_lo
    denom = torch.where(denom < eps, torch.ones_like(denom), denom)
    return bin_lo + (u - cdf_lo) / denom * (bin_hi - bin_lo)
