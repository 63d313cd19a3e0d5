"""Classification baselines of D2-Net's Table 3 on top-k pooled scores: L_CE and the focal L_F.

Both use the video-level prediction p of L_Dis (clamped top-k pooled TCAM) on the same videos:
    L_F:  y = 1: -(1 - p)^β log p,   y = 0: -p^β log(1 - p)       (Eq. 4 with w = 0)
    L_CE: the same with β = 0, i.e. binary cross-entropy (the TCAM is a mean of sigmoids).
"""
from typing import Optional, Union

import torch
import torch.nn as nn
from torch import Tensor

from wsl.registry import MODELS
from ..mil_pooling import pooled_video_scores, valid_videos


def mil_focal_loss(tcam: Tensor, labels: Tensor, valid_len: Tensor, beta: float = 2.0,
                   k_divisor: Optional[float] = None, pos_weight: Union[float, str] = 'num_classes',
                   min_len: int = 5, clamp: float = 1e-3) -> Tensor:
    """Focal loss on top-k pooled scores, averaged over (used videos × C).

    Args:
        tcam (Tensor): (B, T, C) TCAM in [0, 1].
        labels (Tensor): (B, C) multi-hot labels.
        valid_len (Tensor): (B,) valid snippets.
        beta (float): β; 0 gives binary cross-entropy.
        k_divisor (float, optional): top-k rule (None = 8, 4 when C == 100).
        pos_weight (float | 'num_classes'): factor on positive entries (C, as L_Dis in the code).
        min_len (int): videos with fewer valid snippets or no label are skipped.
        clamp (float): p is clamped to [clamp, 1 - clamp].

    Returns:
        Tensor: scalar.
    """
    use = valid_videos(valid_len, labels, min_len)
    if not bool(use.any()):
        return tcam.sum() * 0
    p = pooled_video_scores(tcam[use], valid_len[use], k_divisor, clamp)
    y = labels[use].to(p.dtype)
    pos = -(1 - p).pow(beta) * torch.log(p)
    neg = -p.pow(beta) * torch.log(1 - p)
    pw = float(p.shape[-1]) if pos_weight == 'num_classes' else float(pos_weight)
    return (pw * y * pos + (1 - y) * neg).mean()


@MODELS.register_module()
class TopKFocalLoss(nn.Module):
    """L_F of Table 3 (focal loss on top-k pooled scores); see :func:`mil_focal_loss`."""

    def __init__(self, loss_weight: float = 1.0, beta: float = 2.0, k_divisor: Optional[float] = None,
                 pos_weight: Union[float, str] = 'num_classes', min_len: int = 5,
                 clamp: float = 1e-3) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.kwargs = dict(beta=beta, k_divisor=k_divisor, pos_weight=pos_weight, min_len=min_len,
                           clamp=clamp)

    def forward(self, tcam: Tensor, labels: Tensor, valid_len: Tensor,
                embeddings: Optional[Tensor] = None) -> Tensor:
        """tcam (B, T, C), labels (B, C), valid_len (B,) -> scalar; embeddings are unused."""
        return self.loss_weight * mil_focal_loss(tcam, labels, valid_len, **self.kwargs)


@MODELS.register_module()
class TopKBCELoss(TopKFocalLoss):
    """L_CE of Table 3: binary cross-entropy on top-k pooled scores (focal with β = 0)."""

    def __init__(self, loss_weight: float = 1.0, k_divisor: Optional[float] = None,
                 pos_weight: Union[float, str] = 'num_classes', min_len: int = 5,
                 clamp: float = 1e-3) -> None:
        super().__init__(loss_weight, 0.0, k_divisor, pos_weight, min_len, clamp)
