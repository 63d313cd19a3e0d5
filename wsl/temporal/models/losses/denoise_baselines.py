"""Denoising baselines of D2-Net's Table 4: L1 and BCE in place of pDMI inside L_D.

Snippet level: the same pseudo-labels as L_DS (1 on t_f = {λ' > 0.5}, 0 on t_b = {λ' < 0.5}) and the
same predictions q (max over GT classes on t_f, over all classes on t_b); per-video mean over the
selected snippets, averaged over videos with both sets non-empty.
Video level: the clamped top-k pooled p against the multi-hot labels, mean over (videos × C).
"""
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from wsl.registry import MODELS
from ..attention import top_down_attention
from ..mil_pooling import pooled_video_scores, valid_snippet_mask, valid_videos


def _elementwise(pred: Tensor, target: Tensor, kind: str, eps: float) -> Tensor:
    if kind == 'l1':
        return (pred - target).abs()
    if kind == 'bce':
        pred = pred.clamp(eps, 1 - eps)
        return -(target * torch.log(pred) + (1 - target) * torch.log(1 - pred))
    raise ValueError(f"kind must be 'l1' or 'bce', got {kind!r}")


def snippet_denoise_loss(tcam: Tensor, lambda_prime: Tensor, labels: Tensor, valid_len: Tensor,
                         kind: str = 'l1', fg_thresh: float = 0.5, bg_thresh: float = 0.5,
                         fg_over_gt: bool = True, min_len: int = 5, eps: float = 1e-6) -> Tensor:
    """Snippet-level L1/BCE against the bottom-up pseudo-labels.

    Args:
        tcam (Tensor): (B, T, C) TCAM; lambda_prime (Tensor): (B, T); labels (Tensor): (B, C);
        valid_len (Tensor): (B,).
        kind (str): 'l1' or 'bce'.
        fg_thresh, bg_thresh, fg_over_gt: as in ``SnippetPDMILoss``.
        min_len (int): videos with fewer valid snippets or no label are skipped.
        eps (float): BCE clamp.

    Returns:
        Tensor: scalar.
    """
    mask = valid_snippet_mask(valid_len, tcam.shape[1])
    lam = lambda_prime.detach()
    fg, bg = (lam > fg_thresh) & mask, (lam < bg_thresh) & mask
    q_all = top_down_attention(tcam)
    q_fg = top_down_attention(tcam * (labels[:, None, :] > 0)) if fg_over_gt else q_all
    err_f = _elementwise(q_fg, torch.ones_like(q_fg), kind, eps) * fg
    err_b = _elementwise(q_all, torch.zeros_like(q_all), kind, eps) * bg
    n = (fg | bg).sum(dim=1)
    use = fg.any(1) & bg.any(1) & valid_videos(valid_len, labels, min_len)
    per_video = (err_f + err_b).sum(dim=1) / n.clamp(min=1)
    return torch.where(use, per_video, torch.zeros_like(per_video)).sum() / max(1, int(use.sum()))


@MODELS.register_module()
class SnippetDenoiseLoss(nn.Module):
    """L_DS replaced by L1 or BCE (Table 4); see :func:`snippet_denoise_loss`."""

    def __init__(self, kind: str = 'l1', loss_weight: float = 0.1, fg_thresh: float = 0.5,
                 bg_thresh: float = 0.5, fg_over_gt: bool = True, min_len: int = 5) -> None:
        super().__init__()
        _elementwise(torch.zeros(1), torch.zeros(1), kind, 1e-6)  # validates kind
        self.loss_weight = loss_weight
        self.kwargs = dict(kind=kind, fg_thresh=fg_thresh, bg_thresh=bg_thresh, fg_over_gt=fg_over_gt,
                           min_len=min_len)

    def forward(self, tcam: Tensor, lambda_prime: Tensor, labels: Tensor, valid_len: Tensor) -> Tensor:
        """tcam (B, T, C), lambda_prime (B, T), labels (B, C), valid_len (B,) -> scalar."""
        return self.loss_weight * snippet_denoise_loss(tcam, lambda_prime, labels, valid_len, **self.kwargs)


@MODELS.register_module()
class VideoDenoiseLoss(nn.Module):
    """L_DV replaced by L1 or BCE between the pooled p and the labels (Table 4).

    Args:
        kind (str): 'l1' or 'bce'.
        loss_weight (float): weight.
        k_divisor (float, optional): top-k rule (None = 8, 4 when C == 100).
        min_len (int): videos with fewer valid snippets or no label are skipped.
        clamp (float): p is clamped to [clamp, 1 - clamp].
    """

    def __init__(self, kind: str = 'l1', loss_weight: float = 0.1, k_divisor: Optional[float] = None,
                 min_len: int = 5, clamp: float = 1e-3) -> None:
        super().__init__()
        _elementwise(torch.zeros(1), torch.zeros(1), kind, 1e-6)
        self.kind, self.loss_weight = kind, loss_weight
        self.k_divisor, self.min_len, self.clamp = k_divisor, min_len, clamp

    def forward(self, tcam: Tensor, labels: Tensor, valid_len: Tensor) -> Tensor:
        """tcam (B, T, C), labels (B, C), valid_len (B,) -> scalar."""
        use = valid_videos(valid_len, labels, self.min_len)
        if not bool(use.any()):
            return tcam.sum() * 0
        p = pooled_video_scores(tcam[use], valid_len[use], self.k_divisor, self.clamp)
        err = _elementwise(p, labels[use].to(p.dtype), self.kind, self.clamp)
        return self.loss_weight * err.mean()
