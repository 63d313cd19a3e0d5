"""L_Dis, D2-Net's discriminative loss (Eq. 2-4), as the official code computes it.

Per video i and class c, with p the clamped top-k pooled TCAM:
    y = 1: -(1 - p + w_fb + γ·w_fg)^β · log p       (× pos_weight, = C in the code)
    y = 0: -(p + w_fb + γ·w_bg)^β · log(1 - p)
averaged over (valid videos × C). w_fg = 1 - cos(x_fg, x̃_fg), w_bg = 1 - cos(x_bg, x̃_bg),
w_fb = max(0, cos(x_fg, x̃_bg)); the partners x̃ come from random permutations of the batch.
The weights are not detached (the loss pushes them down, which separates and groups embeddings).
"""
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from wsl.registry import MODELS
from ..attention import attention_pool, top_down_attention
from ..mil_pooling import pooled_video_scores, valid_snippet_mask, valid_videos


def _scatter_rows(n: int, rows: Tensor, values: Tensor) -> Tensor:
    """(n,) zeros with ``values`` placed at ``rows`` (differentiable, out of place)."""
    return values.new_zeros(n).index_put((rows, ), values)


def embedding_weights(x_fg: Tensor, has_fg: Tensor, x_bg: Tensor, has_bg: Tensor,
                      pairing: Optional[Dict[str, Tensor]] = None,
                      fb_row_bug: bool = False) -> Dict[str, Tensor]:
    """w_fg, w_bg and w_fb per video (Eq. 3 without γ), with the official random pairing.

    Args:
        x_fg, x_bg (Tensor): (N, D) foreground / background embeddings of the N used videos.
        has_fg, has_bg (Tensor): (N,) bool, whether the video has a non-empty fg / bg attention.
        pairing (dict, optional): fixed partners instead of random draws, all indices into the
            lists of videos having fg (resp. bg): ``fg`` (n_fg,) permutation, ``bg`` (n_bg,)
            permutation, ``fb_fg`` / ``fb_bg`` (m,) with m = min(n_fg, n_bg).
        fb_row_bug (bool): reproduce the official bug that writes w_fb to the row given by the
            position in the fg list instead of the video's row. Off by default.

    Returns:
        dict: ``w_fg``, ``w_bg``, ``w_fb``, each (N,); 0 for videos without a partner.
    """
    n = x_fg.shape[0]
    pairing = pairing or {}
    fg_rows = has_fg.nonzero(as_tuple=True)[0]
    bg_rows = has_bg.nonzero(as_tuple=True)[0]
    nf, nb = len(fg_rows), len(bg_rows)
    dev = x_fg.device

    def perm(key: str, size: int) -> Tensor:
        return pairing[key].to(dev).long() if key in pairing else torch.randperm(size, device=dev)

    w = {k: x_fg.new_zeros(n) for k in ('w_fg', 'w_bg', 'w_fb')}
    if nf > 0:
        f = x_fg[fg_rows]
        w['w_fg'] = _scatter_rows(n, fg_rows, 1 - F.cosine_similarity(f, f[perm('fg', nf)], dim=-1))
    if nb > 0:
        b = x_bg[bg_rows]
        w['w_bg'] = _scatter_rows(n, bg_rows, 1 - F.cosine_similarity(b, b[perm('bg', nb)], dim=-1))
    m = min(nf, nb)
    if m > 0:
        fi = perm('fb_fg', nf)[:m]
        bi = perm('fb_bg', nb)[:m]
        val = F.cosine_similarity(x_fg[fg_rows[fi]], x_bg[bg_rows[bi]], dim=-1).clamp(min=0)
        rows = fi if fb_row_bug else fg_rows[fi]
        w['w_fb'] = _scatter_rows(n, rows, val)
    return w


def dis_loss(tcam: Tensor, embeddings: Tensor, labels: Tensor, valid_len: Tensor,
             k_divisor: Optional[float] = None, fg_thresh: float = 0.5, bg_thresh: float = 0.5,
             gamma: float = 0.01, beta: float = 2.0, pos_weight: Union[float, str] = 'num_classes',
             min_len: int = 5, clamp: float = 1e-3, fb_row_bug: bool = False,
             pairing: Optional[Dict[str, Tensor]] = None) -> Tensor:
    """L_Dis on a padded batch.

    Args:
        tcam (Tensor): (B, T, C) TCAM in [0, 1].
        embeddings (Tensor): (B, T, D) embeddings x(t) (post-dropout during training, as the code).
        labels (Tensor): (B, C) multi-hot video labels y.
        valid_len (Tensor): (B,) valid snippets s_i.
        k_divisor (float, optional): top-k k = ceil(s / k_divisor); None = 8, or 4 when C == 100.
        fg_thresh (float): τ on λ (λ < τ set to 0).
        bg_thresh (float): threshold on λ_b = 1 - λ (0.5 THUMOS, 0.8 ActivityNet in the code).
        gamma (float): γ, intra-class compactness weight (Eq. 3).
        beta (float): β, focusing parameter (Eq. 4).
        pos_weight (float | 'num_classes'): factor on positive entries; the code uses C.
        min_len (int): videos with fewer valid snippets (or no label) are skipped.
        clamp (float): p is clamped to [clamp, 1 - clamp].
        fb_row_bug (bool): the official w_fb row-indexing bug (off by default).
        pairing (dict, optional): fixed partners, see :func:`embedding_weights`.

    Returns:
        Tensor: scalar loss (0, still attached to the graph, when no video is usable).
    """
    use = valid_videos(valid_len, labels, min_len)
    if not bool(use.any()):
        return tcam.sum() * 0
    tcam, emb, y, vlen = tcam[use], embeddings[use], labels[use].to(tcam.dtype), valid_len[use]
    C = tcam.shape[-1]
    p = pooled_video_scores(tcam, vlen, k_divisor, clamp)

    mask = valid_snippet_mask(vlen, tcam.shape[1]).to(tcam.dtype)
    lam = top_down_attention(tcam) * mask
    lam_b = (1 - top_down_attention(tcam)) * mask
    lam_fg = torch.where(lam >= fg_thresh, lam, torch.zeros_like(lam))
    lam_bg = torch.where(lam_b >= bg_thresh, lam_b, torch.zeros_like(lam_b))
    x_fg, has_fg = attention_pool(emb, lam_fg)
    x_bg, has_bg = attention_pool(emb, lam_bg)
    w = embedding_weights(x_fg, has_fg, x_bg, has_bg, pairing, fb_row_bug)

    w_fb, w_fg, w_bg = w['w_fb'][:, None], w['w_fg'][:, None], w['w_bg'][:, None]
    pos = -(1 - p + w_fb + gamma * w_fg).pow(beta) * torch.log(p)
    neg = -(p + w_fb + gamma * w_bg).pow(beta) * torch.log(1 - p)
    pw = float(C) if pos_weight == 'num_classes' else float(pos_weight)
    return (pw * y * pos + (1 - y) * neg).mean()


@MODELS.register_module()
class DisLoss(nn.Module):
    """L_Dis as a module; see :func:`dis_loss` for the arguments.

    Args:
        loss_weight (float): multiplier of the returned loss.
        **kwargs: the keyword arguments of :func:`dis_loss` (k_divisor, fg_thresh, bg_thresh,
            gamma, beta, pos_weight, min_len, clamp, fb_row_bug).
    """

    def __init__(self, loss_weight: float = 1.0, k_divisor: Optional[float] = None,
                 fg_thresh: float = 0.5, bg_thresh: float = 0.5, gamma: float = 0.01,
                 beta: float = 2.0, pos_weight: Union[float, str] = 'num_classes', min_len: int = 5,
                 clamp: float = 1e-3, fb_row_bug: bool = False) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.kwargs = dict(k_divisor=k_divisor, fg_thresh=fg_thresh, bg_thresh=bg_thresh, gamma=gamma,
                           beta=beta, pos_weight=pos_weight, min_len=min_len, clamp=clamp,
                           fb_row_bug=fb_row_bug)

    def forward(self, tcam: Tensor, labels: Tensor, valid_len: Tensor, embeddings: Tensor,
                pairing: Optional[Dict[str, Tensor]] = None) -> Tensor:
        """Shapes as in :func:`dis_loss`."""
        return self.loss_weight * dis_loss(tcam, embeddings, labels, valid_len, pairing=pairing,
                                           **self.kwargs)
