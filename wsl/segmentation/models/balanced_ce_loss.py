"""Balanced cross-entropy for semantic segmentation on pseudo labels, as DSRG's seed loss (specs/bbam.md §4.2).

The BBAM/AdvCAM author trains DeepLab-v2 with "balanced cross entropy loss, similar to DSRG" (AdvCAM issue #9).
DSRG's balanced seed loss (``SeedLossLayer3`` in speedinghzl/DSRG) is, per image, the mean CE over the pixels
labelled background plus the mean CE over the pixels labelled with any foreground class, averaged over the batch:

    L = 1/B Σ_b [ mean_{u ∈ BG_b} −log p_u(0) + mean_{u ∈ FG_b} −log p_u(y_u) ]

Ignored pixels (255: the strict/loose band and class conflicts) count in neither set; an empty set contributes 0
(DSRG divides by max(count, 1e-4)). Without balancing, the large background dominates box-derived labels.
"""
from typing import Optional

import torch.nn.functional as F
from torch import Tensor, nn

from wsl.registry import MODELS


def balanced_cross_entropy(logits: Tensor, labels: Tensor, ignore_index: int = 255, background_index: int = 0,
                           fg_weight: float = 1.0, bg_weight: float = 1.0) -> Tensor:
    """DSRG-style balanced softmax cross-entropy.

    Args:
        logits (Tensor): (B, C, H, W) class scores.
        labels (Tensor): (B, H, W) int labels in [0, C) or ``ignore_index``.
        ignore_index (int): label of ignored pixels.
        background_index (int): the background class.
        fg_weight (float), bg_weight (float): weights of the two per-image means (1, 1 in DSRG).

    Returns:
        Tensor: scalar, mean over the batch of (bg_weight·mean CE over BG + fg_weight·mean CE over FG).
    """
    if logits.dim() != 4 or labels.shape != (logits.shape[0], *logits.shape[2:]):
        raise ValueError(f'balanced_cross_entropy: expected logits (B, C, H, W) and labels (B, H, W), got '
                         f'{tuple(logits.shape)} and {tuple(labels.shape)}')
    labels = labels.long()
    valid = labels != ignore_index
    bad = valid & ((labels < 0) | (labels >= logits.shape[1]))
    if bad.any():
        raise ValueError(f'balanced_cross_entropy: labels {sorted(set(labels[bad].tolist()))[:10]} are outside '
                         f'[0, {logits.shape[1]}) and not ignore_index {ignore_index}')
    ce = F.cross_entropy(logits, labels.masked_fill(~valid, 0), reduction='none')  # (B, H, W)
    bg = (valid & (labels == background_index)).float()
    fg = (valid & (labels != background_index)).float()
    dims = (1, 2)
    bg_term = (ce * bg).sum(dims) / bg.sum(dims).clamp(min=1.0)
    fg_term = (ce * fg).sum(dims) / fg.sum(dims).clamp(min=1.0)
    return (bg_weight * bg_term + fg_weight * fg_term).mean()


@MODELS.register_module()
class BalancedCrossEntropyLoss(nn.Module):
    """MMSegmentation-compatible loss module around :func:`balanced_cross_entropy`.

    Called by ``BaseDecodeHead.loss_by_feat`` as ``loss(seg_logits, seg_label, weight=None, ignore_index=255)``.

    Args:
        fg_weight (float), bg_weight (float): weights of the foreground / background means.
        loss_weight (float): multiplier of the loss.
        loss_name (str): key in the loss dict (must start with ``loss_``).
    """

    def __init__(self, fg_weight: float = 1.0, bg_weight: float = 1.0, loss_weight: float = 1.0,
                 loss_name: str = 'loss_balanced_ce') -> None:
        super().__init__()
        if not loss_name.startswith('loss_'):
            raise ValueError(f'BalancedCrossEntropyLoss: loss_name must start with "loss_", got {loss_name!r}')
        self.fg_weight, self.bg_weight, self.loss_weight = float(fg_weight), float(bg_weight), float(loss_weight)
        self._loss_name = loss_name

    def forward(self, cls_score: Tensor, label: Tensor, weight: Optional[Tensor] = None, ignore_index: int = 255,
                **kwargs) -> Tensor:
        """Args: cls_score (B, C, H, W), label (B, H, W). ``weight`` (pixel sampler weights) is not supported."""
        if weight is not None:
            raise ValueError('BalancedCrossEntropyLoss: pixel weights (a decode-head sampler) are not supported')
        return self.loss_weight * balanced_cross_entropy(cls_score, label, ignore_index, 0, self.fg_weight,
                                                         self.bg_weight)

    @property
    def loss_name(self) -> str:
        """Name of the loss item (MMSegmentation sums items whose name starts with ``loss_``)."""
        return self._loss_name

