"""Multi-scale keypoint extraction with an R2D2-style network (the official ``extract.py`` recipe).

Per pyramid level: 3x3 max-pool NMS on the repeatability map, thresholds on reliability and
repeatability, then all levels are pooled (no cross-scale NMS) and the top-k by
``score = reliability * repeatability`` are kept. Keypoints are ``(x, y, scale)`` in pixels of the
original image, ``x, y`` being pixel indices (pixel centres at integers, no half-pixel shift)
scaled by ``W / w_level``, ``scale = 32 / s``.
"""
from typing import Callable, Dict, List, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .net import R2D2_MEAN, R2D2_STD

# Defaults of the official extractor (naver/r2d2 extract.py).
R2D2_EXTRACT_DEFAULTS = dict(scale_f=2**0.25, min_scale=0.0, max_scale=1.0, min_size=256, max_size=1024,
                             rel_thr=0.7, rep_thr=0.7, top_k=5000)


def r2d2_nms(reliability: Tensor, repeatability: Tensor, rel_thr: float = 0.7,
             rep_thr: float = 0.7) -> Tuple[Tensor, Tensor]:
    """Local maxima of repeatability (3x3 max-pool, stride 1) with ``rep >= rep_thr`` and ``rel >= rel_thr``.

    Args:
        reliability (Tensor): (H, W) map.
        repeatability (Tensor): (H, W) map.

    Returns:
        tuple: ``(y, x)`` long tensors (N,) in row-major order. Plateaus keep every tied pixel.
    """
    if reliability.shape != repeatability.shape or reliability.dim() != 2:
        raise ValueError(f'r2d2_nms expects two (H, W) maps, got {tuple(reliability.shape)} and '
                         f'{tuple(repeatability.shape)}')
    rep = repeatability[None, None]
    keep = rep == F.max_pool2d(rep, kernel_size=3, stride=1, padding=1)
    keep = keep[0, 0] & (repeatability >= rep_thr) & (reliability >= rel_thr)
    y, x = keep.nonzero(as_tuple=True)
    return y, x


def pyramid_levels(height: int, width: int, scale_f: float = 2**0.25, min_scale: float = 0.0, max_scale: float = 1.0,
                   min_size: int = 256, max_size: int = 1024) -> List[Tuple[float, int, int, bool]]:
    """The official pyramid: ``s`` goes 1, 1/f, 1/f², ... while ``s >= max(min_scale, min_size/max(H, W))``.

    Returns:
        list: ``(s, h, w, processed)`` per level, where ``h, w = round(H*s), round(W*s)`` (the first
        level is the image itself) and ``processed`` is ``s <= min(max_scale, max_size/max(H, W))``;
        both comparisons have a 0.001 tolerance. Unprocessed levels still feed the resize cascade.
    """
    if scale_f <= 1:
        raise ValueError(f'scale_f must be > 1, got {scale_f}')
    longest = max(height, width)
    lo, hi = max(min_scale, min_size / longest), min(max_scale, max_size / longest)
    levels, s, (h, w) = [], 1.0, (height, width)
    while s + 0.001 >= lo:
        levels.append((s, h, w, s - 0.001 <= hi))
        s /= scale_f
        h, w = round(height * s), round(width * s)
        if min(h, w) < 1:
            break
    return levels


@torch.no_grad()
def extract_multiscale(net: Callable[[Tensor], Dict[str, Tensor]], img: Tensor, scale_f: float = 2**0.25,
                       min_scale: float = 0.0, max_scale: float = 1.0, min_size: int = 256, max_size: int = 1024,
                       rel_thr: float = 0.7, rep_thr: float = 0.7, top_k: int = 5000) -> Dict[str, Tensor]:
    """Extract keypoints, scores and descriptors from one image over a scale pyramid.

    Args:
        net: callable ``(1, 3, h, w) -> dict(descriptors (1, D, h, w), reliability, repeatability (1, 1, h, w))``,
            e.g. an :class:`~.net.R2D2Net` in eval mode.
        img (Tensor): (1, 3, H, W) normalised image (see :func:`normalize_rgb`).
        top_k (int): keypoints to keep (highest score first); 0 or None keeps all.

    Returns:
        dict: ``keypoints`` (N, 3) as (x, y, scale) in original-image pixels, ``scores`` (N,),
        ``descriptors`` (N, D) L2-normalised, sorted by decreasing score.
    """
    if img.dim() != 4 or img.shape[:2] != (1, 3):
        raise ValueError(f'extract_multiscale expects one image of shape (1, 3, H, W), got {tuple(img.shape)}')
    H, W = img.shape[2:]
    xys, scores, descs = [], [], []
    for i, (s, h, w, processed) in enumerate(pyramid_levels(H, W, scale_f, min_scale, max_scale, min_size,
                                                            max_size)):
        if i > 0:  # each level is resized from the previous one, as the official cascade does
            img = F.interpolate(img, size=(h, w), mode='bilinear', align_corners=False)
        if not processed:
            continue
        out = net(img)
        rel, rep, desc = out['reliability'][0, 0], out['repeatability'][0, 0], out['descriptors'][0]
        y, x = r2d2_nms(rel, rep, rel_thr, rep_thr)
        xys.append(torch.stack([x.float() * W / w, y.float() * H / h, torch.full_like(x, 32 / s, dtype=torch.float)],
                               dim=1))
        scores.append(rel[y, x] * rep[y, x])
        descs.append(desc[:, y, x].t())
    if not xys:
        raise ValueError(f'no pyramid level of a {W}x{H} image satisfies min_scale={min_scale}, max_scale={max_scale}, '
                         f'min_size={min_size}, max_size={max_size}')
    xys, scores, descs = torch.cat(xys), torch.cat(scores), torch.cat(descs)
    order = torch.argsort(scores, descending=True, stable=True)
    if top_k:
        order = order[:top_k]
    return dict(keypoints=xys[order], scores=scores[order], descriptors=descs[order])


def normalize_rgb(rgb: np.ndarray, device: torch.device = None) -> Tensor:
    """(H, W, 3) uint8 RGB -> (1, 3, H, W) float tensor with the ImageNet mean/std R2D2 uses."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f'normalize_rgb expects an (H, W, 3) uint8 RGB array, got {rgb.shape} {rgb.dtype}')
    t = torch.from_numpy(np.ascontiguousarray(rgb)).to(device).permute(2, 0, 1).float().div_(255)
    mean = t.new_tensor(R2D2_MEAN)[:, None, None]
    std = t.new_tensor(R2D2_STD)[:, None, None]
    return ((t - mean) / std)[None]
