"""R2D2's repeatability losses: the cosine-similarity loss and the peakiness loss.

Flow convention: ``aflow`` (B, 2, H, W) stores, for each pixel (x1, y1) of image 1, the absolute
position (x2, y2) of its match in image 2 (pixel indices, pixel centres at integers); invalid
pixels are NaN. Warping uses ``grid_sample`` with ``align_corners=True`` and the ``(W-1)``,
``(H-1)`` normalisation, which is what the official code (written for PyTorch 1.1, whose default
was ``align_corners=True``) computes; the modern default (False) would shift every warp.
"""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wsl.registry import MODELS

INVALID_GRID = 9e9  # where NaN flow is sent: far outside the image


def aflow_to_grid(aflow: Tensor, size: Optional[Sequence[int]] = None) -> Tensor:
    """Absolute flow -> ``grid_sample`` grid (align_corners=True convention).

    Args:
        aflow (Tensor): (B, 2, H, W) absolute (x2, y2) positions in image 2; NaN = no match.
        size (tuple, optional): (H2, W2) of image 2; defaults to the flow's own (H, W), which is
            what the official code uses (training crops make both images the same size).

    Returns:
        Tensor: (B, H, W, 2) with ``gx = 2*x2/(W2-1) - 1``, ``gy = 2*y2/(H2-1) - 1``; NaN -> 9e9.
    """
    if aflow.dim() != 4 or aflow.shape[1] != 2:
        raise ValueError(f'aflow must be (B, 2, H, W), got {tuple(aflow.shape)}')
    h2, w2 = size if size is not None else aflow.shape[2:]
    scale = aflow.new_tensor([2 / (w2 - 1), 2 / (h2 - 1)])
    grid = aflow.permute(0, 2, 3, 1) * scale - 1
    return torch.nan_to_num(grid, nan=INVALID_GRID)


def _unit_patches(x: Tensor, n: int) -> Tensor:
    """(B, 1, H, W) -> (B, P, N*N): N x N patches on a stride-N/2 grid, each L2-normalised."""
    patches = F.unfold(x, kernel_size=n, stride=n // 2, padding=0).transpose(1, 2)
    return F.normalize(patches, p=2, dim=2)


def cosim_loss(rep1: Tensor, rep2: Tensor, aflow: Tensor, n: int = 16, mask_invalid: bool = False) -> Tensor:
    """``1 - mean cos(patch(rep1), patch(warp(rep2)))`` over N x N patches at stride N/2 (Eq. 3).

    ``rep2`` is warped into image 1's frame with bilinear ``grid_sample`` (align_corners=True,
    padding_mode='border'): pixels whose flow is NaN or leaves image 2 take clamped border values,
    as in the official code. ``mask_invalid=True`` (our option) instead drops every patch that holds
    such a pixel from the mean.

    Args:
        rep1 (Tensor): (B, 1, H, W) repeatability of image 1.
        rep2 (Tensor): (B, 1, H2, W2) repeatability of image 2.
        aflow (Tensor): (B, 2, H, W) absolute flow from image 1 to image 2.
        n (int): patch size N.

    Returns:
        Tensor: scalar loss in [0, 2].
    """
    if rep1.shape[-2:] != aflow.shape[-2:]:
        raise ValueError(f'cosim_loss: rep1 {tuple(rep1.shape)} and aflow {tuple(aflow.shape)} differ in size')
    grid = aflow_to_grid(aflow, rep2.shape[-2:])
    warped = F.grid_sample(rep2, grid, mode='bilinear', padding_mode='border', align_corners=True)
    cos = (_unit_patches(rep1, n) * _unit_patches(warped, n)).sum(dim=2)  # (B, P)
    if not mask_invalid:
        return 1 - cos.mean()
    h2, w2 = rep2.shape[-2:]
    x, y = aflow[:, 0:1], aflow[:, 1:2]
    valid = (x >= 0) & (x <= w2 - 1) & (y >= 0) & (y <= h2 - 1)  # NaN compares False
    keep = F.unfold(valid.float(), kernel_size=n, stride=n // 2).min(dim=1).values > 0  # (B, P)
    if not keep.any():
        return cos.sum() * 0
    return 1 - cos[keep].mean()


def peaky_loss(rep: Tensor, n: int = 16) -> Tensor:
    """``1 - mean(MaxPool_{N+1}(S') - AvgPool_{N+1}(S'))`` with ``S' = AvgPool_3(rep)`` (Eq. 4).

    All pools have stride 1 and 'same' padding (3x3: 1, (N+1)x(N+1): N/2); average pools count the
    zero padding (PyTorch's ``count_include_pad=True``), max pools pad with -inf.

    Args:
        rep (Tensor): (B, 1, H, W) repeatability map.

    Returns:
        Tensor: scalar loss in [0, 1] for maps in [0, 1].
    """
    s = F.avg_pool2d(rep, 3, stride=1, padding=1)
    peak = F.max_pool2d(s, n + 1, stride=1, padding=n // 2) - F.avg_pool2d(s, n + 1, stride=1, padding=n // 2)
    return 1 - peak.mean()


@MODELS.register_module()
class R2D2CosimLoss(nn.Module):
    """Cosine-similarity repeatability loss (``loss_cosim16``); see :func:`cosim_loss`.

    Args:
        n (int): patch size N (paper N=16).
        mask_invalid (bool): drop patches touching invalid flow (our option; official: False).
        loss_weight (float): multiplier.
    """

    def __init__(self, n: int = 16, mask_invalid: bool = False, loss_weight: float = 1.0) -> None:
        super().__init__()
        if n < 2 or n % 2:
            raise ValueError(f'R2D2CosimLoss: N must be an even number >= 2, got {n}')
        self.n, self.mask_invalid, self.loss_weight = n, mask_invalid, loss_weight

    def forward(self, rep1: Tensor, rep2: Tensor, aflow: Tensor) -> Tensor:
        return self.loss_weight * cosim_loss(rep1, rep2, aflow, self.n, self.mask_invalid)


@MODELS.register_module()
class R2D2PeakyLoss(nn.Module):
    """Peakiness loss of a pair, ``(peaky(S1) + peaky(S2)) / 2`` (``loss_peaky16``); see :func:`peaky_loss`."""

    def __init__(self, n: int = 16, loss_weight: float = 1.0) -> None:
        super().__init__()
        if n < 2 or n % 2:
            raise ValueError(f'R2D2PeakyLoss: N must be an even number >= 2, got {n}')
        self.n, self.loss_weight = n, loss_weight

    def forward(self, rep1: Tensor, rep2: Tensor) -> Tensor:
        return self.loss_weight * (peaky_loss(rep1, self.n) + peaky_loss(rep2, self.n)) / 2
