"""Multiple-instance pooling over snippets: valid lengths, the top-k rule and top-k pooling.

Shared by D2-Net's L_Dis, the video-level pDMI term and the classification baselines, so that
every loss skips the same videos and pools the same way.
"""
import math
from typing import Optional

import torch
from torch import Tensor


def snippet_counts(features: Tensor) -> Tensor:
    """Number of non-padded snippets per video, as the official code counts them.

    Args:
        features (Tensor): (B, T, D) zero-padded snippet features.

    Returns:
        Tensor: (B,) long, the number of rows whose absolute maximum is > 0.
    """
    if features.dim() != 3:
        raise ValueError(f'features must be (B, T, D), got shape {tuple(features.shape)}')
    return (features.abs().amax(dim=-1) > 0).sum(dim=-1)


def valid_snippet_mask(valid_len: Tensor, length: int) -> Tensor:
    """(B, T) bool mask of the first ``valid_len[i]`` snippets of each video."""
    return torch.arange(length, device=valid_len.device)[None, :] < valid_len[:, None]


def default_k_divisor(num_classes: int) -> int:
    """The official training rule for k = ceil(s / divisor): 4 on ActivityNet1.2 (C == 100), else 8."""
    return 4 if num_classes == 100 else 8


def topk_count(valid_len: Tensor, k_divisor: float, rounding: str = 'ceil') -> Tensor:
    """k of top-k pooling per video.

    Args:
        valid_len (Tensor): (B,) number of valid snippets s.
        k_divisor (float): k = s / k_divisor, rounded (8 THUMOS, 4 ActivityNet in the code).
        rounding (str): 'ceil' (training, paper) or 'floor' (the official test-time class score).

    Returns:
        Tensor: (B,) long, k >= 1.
    """
    if k_divisor <= 0:
        raise ValueError(f'k_divisor must be > 0, got {k_divisor}')
    s = valid_len.to(torch.float64) / k_divisor
    if rounding == 'ceil':
        k = torch.ceil(s)
    elif rounding == 'floor':
        k = torch.floor(s)
    else:
        raise ValueError(f"rounding must be 'ceil' or 'floor', got {rounding!r}")
    return k.long().clamp(min=1)


def topk_count_int(num_snippets: int, k_divisor: float, rounding: str = 'ceil') -> int:
    """Scalar version of :func:`topk_count` for one video of ``num_snippets`` snippets."""
    s = num_snippets / k_divisor
    return max(1, int(math.ceil(s) if rounding == 'ceil' else math.floor(s)))


def topk_pool(scores: Tensor, valid_len: Tensor, k: Tensor) -> Tensor:
    """Mean of the k largest values over the valid snippets of each video, per class.

    Args:
        scores (Tensor): (B, T, C) snippet scores (e.g. the TCAM).
        valid_len (Tensor): (B,) valid snippets per video; rows >= valid_len are ignored.
        k (Tensor): (B,) long, number of pooled snippets per video (1 <= k).

    Returns:
        Tensor: (B, C) pooled scores; 0 for a video without valid snippets.
    """
    B, T, _ = scores.shape
    if T == 0:
        return scores.new_zeros(B, scores.shape[-1])
    mask = valid_snippet_mask(valid_len, T)
    k = k.clamp(max=T)
    kmax = int(k.max())
    masked = scores.masked_fill(~mask[..., None], float('-inf'))
    top = masked.topk(kmax, dim=1).values  # (B, kmax, C)
    rank = torch.arange(kmax, device=scores.device)[None, :]
    take = (rank < k[:, None]) & (rank < valid_len[:, None])
    top = torch.where(take[..., None], top, top.new_zeros(()))
    return top.sum(dim=1) / k[:, None].to(scores.dtype)


def valid_videos(valid_len: Tensor, labels: Tensor, min_len: int = 5) -> Tensor:
    """(B,) bool: the videos the official losses use (>= ``min_len`` snippets and >= 1 label)."""
    return (valid_len >= min_len) & (labels.sum(dim=-1) > 0)


def pooled_video_scores(tcam: Tensor, valid_len: Tensor, k_divisor: Optional[float] = None,
                        clamp: float = 1e-3) -> Tensor:
    """Top-k pooled, clamped video-level scores p as L_Dis computes them.

    Args:
        tcam (Tensor): (B, T, C) TCAM in [0, 1].
        valid_len (Tensor): (B,) valid snippets.
        k_divisor (float, optional): k = ceil(s / k_divisor); None applies :func:`default_k_divisor`.
        clamp (float): p is clamped to [clamp, 1 - clamp].

    Returns:
        Tensor: (B, C) video-level scores p.
    """
    div = default_k_divisor(tcam.shape[-1]) if k_divisor is None else k_divisor
    p = topk_pool(tcam, valid_len, topk_count(valid_len, div, 'ceil'))
    return p.clamp(clamp, 1 - clamp)
