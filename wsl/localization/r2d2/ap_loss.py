"""Differentiable average precision with a quantised (soft) histogram (He et al. 2018; R2D2 ``APLoss``).

Similarities are softly assigned to ``nq`` bins with triangular kernels of half-width ``1/a``,
``a = (nq-1)/(max-min)``, centred at ``c_k = min + (nq-1-k)/a`` (k = 0 is the highest bin). The two
extreme bins saturate: bin 0 is 1 for every x >= max, bin nq-1 is 1 for every x <= min, so each
value's weights sum to 1. Per query: ``prec_k = cumsum(rec)_k / cumsum(nbs)_k`` and
``AP = sum_k prec_k * rec_k / sum_k rec_k``.
"""
import torch
from torch import Tensor


def soft_bin_weights(x: Tensor, nq: int = 20, vmin: float = 0.0, vmax: float = 1.0) -> Tensor:
    """Soft histogram assignment of similarities.

    Args:
        x (Tensor): (N, M) similarities.
        nq (int): number of bins.
        vmin, vmax (float): range covered by the bins.

    Returns:
        Tensor: (N, nq, M) weights ``w_k(x) = max(0, min(1 - a(x - c_k), 1 + a(x - c_k)))``, with
        the falling ramp of bin 0 and the rising ramp of bin nq-1 replaced by 1.
    """
    if nq < 2 or vmax <= vmin:
        raise ValueError(f'soft_bin_weights needs nq >= 2 and vmax > vmin, got nq={nq}, range=({vmin}, {vmax})')
    a = (nq - 1) / (vmax - vmin)
    centres = vmin + torch.arange(nq - 1, -1, -1, device=x.device, dtype=x.dtype) / a  # (nq,), high -> low
    d = a * (x[:, None, :] - centres[None, :, None])  # (N, nq, M)
    falling, rising = 1 - d, 1 + d  # the sides of the triangle right and left of the centre
    falling = torch.cat([torch.ones_like(falling[:, :1]), falling[:, 1:]], dim=1)
    rising = torch.cat([rising[:, :-1], torch.ones_like(rising[:, -1:])], dim=1)
    return torch.minimum(falling, rising).clamp(min=0)


def average_precision(scores: Tensor, labels: Tensor, nq: int = 20, vmin: float = 0.0, vmax: float = 1.0,
                      euc: bool = False) -> Tensor:
    """Quantised (differentiable) AP of each row.

    Args:
        scores (Tensor): (N, M) similarities, e.g. dot products of unit descriptors in [-1, 1].
        labels (Tensor): (N, M) bool/0-1, 1 for positives; every row needs at least one positive.
        nq (int): number of histogram bins (R2D2: 20).
        euc (bool): map x -> 1 - sqrt(2.001 - 2x) first (the official unused option).

    Returns:
        Tensor: (N,) AP per row, in [0, 1].
    """
    if scores.shape != labels.shape or scores.dim() != 2:
        raise ValueError(f'average_precision: scores {tuple(scores.shape)} and labels {tuple(labels.shape)} '
                         f'must be the same (N, M) shape')
    if euc:
        scores = 1 - torch.sqrt(2.001 - 2 * scores)
    w = soft_bin_weights(scores, nq, vmin, vmax)
    nbs = w.sum(dim=2)  # (N, nq) soft count per bin
    rec = (w * labels[:, None, :].to(w.dtype)).sum(dim=2)  # (N, nq) soft positives per bin
    prec = rec.cumsum(dim=1) / (1e-16 + nbs.cumsum(dim=1))
    rec = rec / rec.sum(dim=1, keepdim=True)
    return (prec * rec).sum(dim=1)
