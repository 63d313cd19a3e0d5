"""pDMI: pseudo-determinant mutual information via the condition number (Eq. 7, 9-11).

L_pdmi = log(σ_max / σ_min) of a joint distribution matrix U, over its non-zero singular values.
Singular values come from ``torch.linalg.svdvals``, whose gradient U·diag(g)·Vᵀ is finite even when
singular values coincide (old ``torch.svd`` is not). Non-finite matrices, empty pseudo-classes and
matrices of pseudo-rank < 2 give 0 instead of NaN/Inf.

Snippet level (L_DS): U1 (2×2) from the snippets that the bottom-up attention λ' marks as
pseudo-foreground (λ' > 0.5) and pseudo-background (λ' < 0.5; 0.3 on ActivityNet in the code).
Video level (L_DV): U2 (C×C) = Ŷ·P̂ over the batch.
"""
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from wsl.registry import MODELS
from ..attention import top_down_attention
from ..mil_pooling import pooled_video_scores, valid_snippet_mask, valid_videos


def pdmi(joint: Tensor, sv_thresh: float = 0.0) -> Tensor:
    """log of the pseudo condition number σ_max / σ_min over singular values > ``sv_thresh``.

    Args:
        joint (Tensor): (..., n, m) joint distribution matrices.
        sv_thresh (float): singular values <= this are dropped (1e-5 at video level in the code);
            exact zeros are always dropped.

    Returns:
        Tensor: (...) loss; 0 where the matrix is non-finite or keeps fewer than 2 singular values.
    """
    finite = torch.isfinite(joint).flatten(-2).all(dim=-1)
    eye = torch.zeros_like(joint)
    eye.diagonal(dim1=-2, dim2=-1).fill_(1)
    safe = torch.where(finite[..., None, None], joint, eye)
    sv = torch.linalg.svdvals(safe)  # (..., k), descending
    keep = sv > max(sv_thresh, 0.0)
    ok = finite & (keep.sum(dim=-1) >= 2)
    one = torch.ones_like(sv[..., 0])
    s_max = torch.where(ok, sv[..., 0], one)
    s_min = torch.where(ok, torch.where(keep, sv, torch.full_like(sv, float('inf'))).amin(dim=-1), one)
    return torch.where(ok, torch.log(s_max) - torch.log(s_min), torch.zeros_like(one))


def snippet_joint(tcam: Tensor, lambda_prime: Tensor, labels: Tensor, valid_len: Tensor,
                  fg_thresh: float = 0.5, bg_thresh: float = 0.5, fg_over_gt: bool = True,
                  normalize: str = 'class', clamp: float = 1e-10):
    """Snippet-level joint distributions U1 (2×2) for each video.

    Row 0 = mean over pseudo-fg snippets of [q, 1 - q], row 1 = the same over pseudo-bg snippets,
    with q(t) = max over the video's GT classes of T[t] on pseudo-fg (``fg_over_gt``, code) or over
    all classes (paper), and max over all classes on pseudo-bg.

    Args:
        tcam (Tensor): (B, T, C) TCAM in [0, 1].
        lambda_prime (Tensor): (B, T) bottom-up attention λ' (no gradient needed).
        labels (Tensor): (B, C) multi-hot labels.
        valid_len (Tensor): (B,) valid snippets.
        fg_thresh / bg_thresh (float): t_f = {λ' > fg_thresh}, t_b = {λ' < bg_thresh}.
        normalize (str): 'class' divides each row by its own count (code); 'total' by
            z = n_f + n_b (the paper's 1/z).
        clamp (float): entries are clamped to >= clamp (code: 1e-10).

    Returns:
        tuple[Tensor, Tensor]: (B, 2, 2) U1 and (B,) bool, True where both pseudo-classes are non-empty.
    """
    mask = valid_snippet_mask(valid_len, tcam.shape[1])
    lam = lambda_prime.detach()
    fg = (lam > fg_thresh) & mask
    bg = (lam < bg_thresh) & mask
    q_all = top_down_attention(tcam)
    # tcam >= 0, so zeroing non-GT classes leaves the max over the GT classes
    q_fg = top_down_attention(tcam * (labels[:, None, :] > 0)) if fg_over_gt else q_all
    fgf, bgf = fg.to(tcam.dtype), bg.to(tcam.dtype)
    nf, nb = fgf.sum(dim=1), bgf.sum(dim=1)
    if normalize == 'class':
        df, db = nf.clamp(min=1), nb.clamp(min=1)
    elif normalize == 'total':
        df = db = (nf + nb).clamp(min=1)
    else:
        raise ValueError(f"normalize must be 'class' or 'total', got {normalize!r}")
    row_f = torch.stack([(q_fg * fgf).sum(1), ((1 - q_fg) * fgf).sum(1)], dim=-1) / df[:, None]
    row_b = torch.stack([(q_all * bgf).sum(1), ((1 - q_all) * bgf).sum(1)], dim=-1) / db[:, None]
    return torch.stack([row_f, row_b], dim=1).clamp(min=clamp), (nf > 0) & (nb > 0)


def video_joint(p: Tensor, labels: Tensor, mask_ratio: Optional[float] = 0.2,
                normalize: str = 'class') -> Tensor:
    """Video-level joint distribution U2 = Ŷ · P̂ (C×C).

    Args:
        p (Tensor): (n, C) video-level scores of the batch videos.
        labels (Tensor): (n, C) multi-hot labels.
        mask_ratio (float, optional): keep p[c] > mask_ratio·max(p) and L1-renormalise each row
            (code: 0.2); None uses p as is (paper).
        normalize (str): 'class' divides each class row of Yᵀ by its video count (code);
            'batch' by n (paper).

    Returns:
        Tensor: (C, C); rows of classes absent from the batch are 0.
    """
    if mask_ratio is not None:
        keep = p > mask_ratio * p.amax(dim=-1, keepdim=True)
        p = p * keep
        p = p / p.sum(dim=-1, keepdim=True).clamp(min=torch.finfo(p.dtype).tiny)
    y = labels.to(p.dtype).transpose(0, 1)  # (C, n)
    if normalize == 'class':
        y = y / y.sum(dim=1, keepdim=True).clamp(min=1)
    elif normalize == 'batch':
        y = y / max(1, p.shape[0])
    else:
        raise ValueError(f"normalize must be 'class' or 'batch', got {normalize!r}")
    return y @ p


@MODELS.register_module()
class SnippetPDMILoss(nn.Module):
    """L_DS: snippet-level pDMI, averaged over the videos with both pseudo-classes non-empty.

    Args:
        loss_weight (float): weight (code 0.1; paper α = 0.2 THUMOS, 1e-3 ActivityNet).
        fg_thresh (float): t_f = {λ' > fg_thresh} (0.5).
        bg_thresh (float): t_b = {λ' < bg_thresh} (0.5 THUMOS, 0.3 ActivityNet in the code).
        fg_over_gt (bool): q on pseudo-fg = max over GT classes (code) or all classes (paper).
        normalize (str): 'class' (code) or 'total' (paper), see :func:`snippet_joint`.
        sv_thresh (float): singular values <= this are dropped.
        min_len (int): videos with fewer valid snippets or no label are skipped.
    """

    def __init__(self, loss_weight: float = 0.1, fg_thresh: float = 0.5, bg_thresh: float = 0.5,
                 fg_over_gt: bool = True, normalize: str = 'class', sv_thresh: float = 0.0,
                 min_len: int = 5) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.fg_thresh, self.bg_thresh = fg_thresh, bg_thresh
        self.fg_over_gt, self.normalize = fg_over_gt, normalize
        self.sv_thresh, self.min_len = sv_thresh, min_len

    def forward(self, tcam: Tensor, lambda_prime: Tensor, labels: Tensor, valid_len: Tensor) -> Tensor:
        """tcam (B, T, C), lambda_prime (B, T), labels (B, C), valid_len (B,) -> scalar."""
        joint, nonempty = snippet_joint(tcam, lambda_prime, labels, valid_len, self.fg_thresh,
                                        self.bg_thresh, self.fg_over_gt, self.normalize)
        use = nonempty & valid_videos(valid_len, labels, self.min_len) & torch.isfinite(joint).flatten(1).all(1)
        per_video = pdmi(joint, self.sv_thresh)
        total = torch.where(use, per_video, torch.zeros_like(per_video)).sum()
        return self.loss_weight * total / max(1, int(use.sum()))


@MODELS.register_module()
class VideoPDMILoss(nn.Module):
    """L_DV: video-level pDMI over the batch (pseudo condition number of U2).

    Args:
        loss_weight (float): weight (code 0.1; paper α).
        k_divisor (float, optional): top-k rule for p, as in L_Dis (None = 8, 4 when C == 100).
        mask_ratio (float, optional): see :func:`video_joint` (code 0.2, paper None).
        normalize (str): 'class' (code) or 'batch' (paper).
        sv_thresh (float): singular values <= this are dropped (code 1e-5).
        min_len (int): videos with fewer valid snippets or no label are skipped.
        clamp (float): p is clamped to [clamp, 1 - clamp].
    """

    def __init__(self, loss_weight: float = 0.1, k_divisor: Optional[float] = None,
                 mask_ratio: Optional[float] = 0.2, normalize: str = 'class', sv_thresh: float = 1e-5,
                 min_len: int = 5, clamp: float = 1e-3) -> None:
        super().__init__()
        self.loss_weight, self.k_divisor = loss_weight, k_divisor
        self.mask_ratio, self.normalize = mask_ratio, normalize
        self.sv_thresh, self.min_len, self.clamp = sv_thresh, min_len, clamp

    def forward(self, tcam: Tensor, labels: Tensor, valid_len: Tensor) -> Tensor:
        """tcam (B, T, C), labels (B, C), valid_len (B,) -> scalar."""
        use = valid_videos(valid_len, labels, self.min_len)
        if not bool(use.any()):
            return tcam.sum() * 0
        p = pooled_video_scores(tcam[use], valid_len[use], self.k_divisor, self.clamp)
        joint = video_joint(p, labels[use], self.mask_ratio, self.normalize)
        return self.loss_weight * pdmi(joint, self.sv_thresh)
