"""D2-Net's two attentions: top-down λ from the TCAM and bottom-up λ' from the embeddings.

Also the attention-weighted embeddings x_fg / x_bg (Eq. 2) and the batch statistic that feeds the
reference background embedding x_ref (official code: the single most-background snippet).
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .mil_pooling import valid_snippet_mask


def top_down_attention(tcam: Tensor) -> Tensor:
    """λ(t) = max_c T[t, c].

    Args:
        tcam (Tensor): (..., T, C) TCAM.

    Returns:
        Tensor: (..., T) foreground attention; the background attention is 1 - λ.
    """
    return tcam.amax(dim=-1)


def attention_pool(embeddings: Tensor, weights: Tensor) -> Tuple[Tensor, Tensor]:
    """Attention-weighted mean Σ w(t) x(t) / Σ w(t) (Eq. 2, normalised as the code does).

    Args:
        embeddings (Tensor): (B, T, D) snippet embeddings x(t).
        weights (Tensor): (B, T) non-negative attention (zero where not selected).

    Returns:
        tuple[Tensor, Tensor]: (B, D) pooled embeddings (0 where the weight sum is 0) and (B,) bool,
        True where the weight sum is > 0.
    """
    total = weights.sum(dim=1)
    has = total > 0
    pooled = (weights[..., None] * embeddings).sum(dim=1)
    denom = torch.where(has, total, torch.ones_like(total))
    return pooled / denom[:, None], has


def bottom_up_attention(embeddings: Tensor, x_ref: Tensor, eps: float = 1e-8) -> Tensor:
    """λ'(t) = (1 - cos(x(t), x_ref)) / 2 (Eq. 8).

    Args:
        embeddings (Tensor): (..., T, D) snippet embeddings.
        x_ref (Tensor): (D,) or (1, D) reference background embedding. An all-zero x_ref gives
            cos = 0, i.e. λ' = 0.5 everywhere (neither pseudo-foreground nor pseudo-background).
        eps (float): cosine-similarity epsilon.

    Returns:
        Tensor: (..., T) foreground score in [0, 1].
    """
    ref = x_ref.reshape(-1).to(embeddings.dtype)
    cos = F.cosine_similarity(embeddings, ref.expand_as(embeddings), dim=-1, eps=eps)
    return (1 - cos) / 2


def background_reference_batch(tcam: Tensor, embeddings: Tensor, valid_len: Tensor, use: Tensor,
                               bg_thresh: float = 0.5) -> Optional[Tensor]:
    """Batch mean of the most-background snippet embedding, as the official code feeds x_ref.

    For each used video whose thresholded background attention is non-empty (some λ_b >= bg_thresh),
    take the embedding at argmax λ_b (= argmin λ) over its valid snippets; average over videos.

    Args:
        tcam (Tensor): (B, T, C) TCAM.
        embeddings (Tensor): (B, T, D) embeddings.
        valid_len (Tensor): (B,) valid snippets.
        use (Tensor): (B,) bool, videos taking part (see ``valid_videos``).
        bg_thresh (float): threshold on λ_b = 1 - λ (0.5 THUMOS, 0.8 ActivityNet in the code).

    Returns:
        Tensor or None: (D,) detached mean, or None when no video qualifies.
    """
    T = tcam.shape[1]
    mask = valid_snippet_mask(valid_len, T)
    lam_b = (1 - top_down_attention(tcam)).masked_fill(~mask, float('-inf'))
    has_bg = ((lam_b >= bg_thresh) & mask).any(dim=1) & use
    if not bool(has_bg.any()):
        return None
    idx = lam_b.argmax(dim=1)
    picked = embeddings[torch.arange(len(idx), device=idx.device), idx]  # (B, D)
    return picked[has_bg].detach().mean(dim=0)
