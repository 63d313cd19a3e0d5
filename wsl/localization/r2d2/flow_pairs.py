"""Training crops from real image pairs with dense flow (R2D2's ``PairLoader`` applied to optical-flow pairs).

Recipe (naver/r2d2 ``tools/dataloader.py``, as ``train.py`` applies it to the Aachen flow pairs): image 2 is
rescaled so its short side is log-uniform in ``short_side2`` (``RandomScale(256, 1024, can_upscale=True)``) and
colour-jittered (``ColorJitter(0.2, 0.2, 0.2, 0.1)``); then a window pair is chosen around a random valid pixel of
image 1 and its match, sized by the local scale σ = sqrt|det J| of the flow there (σ < 1: image 1's window is
``crop/σ`` and image 2's ``crop``; σ ≥ 1: ``crop`` and ``crop·σ``; σ outside (0.2, 5) is rejected). Each trial is
scored by min(fraction of image-1 window pixels landing inside image 2's window, occupancy of image 2's window on a
16×16 grid); the best of ``trials`` successful trials (within ``max_attempts`` draws) wins. Both windows are resized
to ``crop × crop`` (images with area interpolation when shrinking, bilinear otherwise; image 1's flow
nearest-neighbour, as the official code does).

Our choices where the official code is loose: image-2 positions follow the pixel-centre convention of the resizes
(``x' = (x + 0.5)·s - 0.5``; the official ``(out-1)/(in-1)`` factor is off by up to half a pixel), and the output is
always ``crop × crop`` (the official loader keeps a smaller image's own size).
"""
import math
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np

from .synthetic_pairs import color_jitter

GRID = 16  # occupancy grid of image 2's window (official: 16 x 16)


def flow_local_scale(aflow: np.ndarray) -> np.ndarray:
    """sqrt(|det J|) of the absolute flow (2, H, W) by central differences (NaN where the flow is invalid)."""
    gxy = np.gradient(aflow[0])  # d(x2)/dy, d(x2)/dx
    gyy = np.gradient(aflow[1])  # d(y2)/dy, d(y2)/dx
    det = gxy[1] * gyy[0] - gxy[0] * gyy[1]
    return np.sqrt(np.clip(np.abs(det), 1e-16, 1e16))


def _window1(c: int, size: float, extent: int) -> Tuple[int, int]:
    """[lo, hi) of length ``round(size)`` centred on ``c``, shifted inside [0, extent) (all of it if too long)."""
    lo = c - int(0.5 + size / 2)
    hi = lo + int(0.5 + size)
    if lo < 0:
        lo, hi = 0, hi - lo
    if hi > extent:
        lo, hi = lo + extent - hi, extent
    if lo < 0:
        lo, hi = 0, extent
    return lo, hi


def _window(cx: int, cy: int, size: float, shape: Sequence[int]) -> Tuple[slice, slice]:
    (y0, y1), (x0, x1) = _window1(cy, size, shape[0]), _window1(cx, size, shape[1])
    return slice(y0, y1), slice(x0, x1)


def rescale_image2(img2: np.ndarray, aflow: np.ndarray, short_side: float) -> Tuple[np.ndarray, np.ndarray]:
    """Resize image 2 so its short side is ``short_side`` and map the flow's image-2 positions accordingly.

    Returns:
        tuple: the resized (H', W', 3) image and the (2, H1, W1) flow into it (pixel-centre convention).
    """
    h, w = img2.shape[:2]
    s = short_side / min(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    out = cv2.resize(img2, size, interpolation=interp)
    sx, sy = size[0] / w, size[1] / h
    return out, np.stack([(aflow[0] + 0.5) * sx - 0.5, (aflow[1] + 0.5) * sy - 0.5]).astype(np.float32)


def _resize(img: np.ndarray, crop: int) -> np.ndarray:
    interp = cv2.INTER_AREA if min(img.shape[:2]) > crop else cv2.INTER_LINEAR
    return cv2.resize(img, (crop, crop), interpolation=interp)


def choose_windows(aflow: np.ndarray, size2: Tuple[int, int], crop: int, rng: np.random.Generator,
                   trials: int = 5, max_attempts: int = 250) -> Optional[Tuple[Tuple[slice, slice], Tuple[slice,
                                                                                                          slice]]]:
    """The official window search (module doc).

    Args:
        aflow (ndarray): (2, H1, W1) absolute flow into image 2, NaN = invalid.
        size2 (tuple): (H2, W2) of image 2.
        crop (int): output size.

    Returns:
        tuple or None: ``(win1, win2)`` as (row slice, column slice) pairs, None when no trial succeeded.
    """
    h2, w2 = size2
    valid = np.isfinite(aflow).all(axis=0)
    ids = np.flatnonzero(valid)
    if not len(ids):
        return None
    sigma = flow_local_scale(aflow)
    best, done = (-np.inf, None), 0
    for _ in range(max_attempts):
        if done >= trials:
            break
        y1, x1 = np.unravel_index(ids[rng.integers(len(ids))], valid.shape)
        x2, y2 = (int(v) for v in aflow[:, y1, x1] + 0.5)
        s = sigma[y1, x1]
        if not (0 <= x2 < w2 and 0 <= y2 < h2) or not 0.2 < s < 5:
            continue
        size1, size2_ = (crop / s, crop) if s < 1 else (crop, crop * s)
        win1, win2 = _window(x1, y1, size1, valid.shape), _window(x2, y2, size2_, (h2, w2))
        fx, fy = aflow[0][win1], aflow[1][win1]
        inside = (fx >= win2[1].start) & (fx < win2[1].stop) & (fy >= win2[0].start) & (fy < win2[0].stop)
        score1 = inside.mean()  # NaN compares False: invalid pixels count as misses
        qx = ((fx[inside] - win2[1].start) * GRID / (win2[1].stop - win2[1].start)).astype(np.int64)
        qy = ((fy[inside] - win2[0].start) * GRID / (win2[0].stop - win2[0].start)).astype(np.int64)
        occupancy = np.zeros((GRID, GRID), bool)
        occupancy[qy.clip(0, GRID - 1), qx.clip(0, GRID - 1)] = True
        done += 1
        score = min(score1, occupancy.mean())
        if score > best[0]:
            best = (score, (win1, win2))
    return best[1]


def flow_pair_crop(img1: np.ndarray, img2: np.ndarray, aflow: np.ndarray, rng: np.random.Generator,
                   crop: int = 192, short_side2: Optional[Sequence[float]] = (256, 1024), jitter: bool = True,
                   trials: int = 5, max_attempts: int = 250) -> Optional[Dict[str, np.ndarray]]:
    """One training sample from an image pair with dense flow.

    Args:
        img1, img2 (ndarray): (H1, W1, 3) and (H2, W2, 3) uint8 RGB.
        aflow (ndarray): (2, H1, W1) absolute flow image 1 -> image 2 in image-2 pixels, NaN = invalid.
        rng: numpy generator driving every random choice.
        crop (int): output size (R2D2: 192).
        short_side2 (tuple, optional): log-uniform range of image 2's short side (official 256..1024);
            None keeps image 2's size.
        jitter (bool): colour-jitter image 2.

    Returns:
        dict or None: ``img1``, ``img2`` (crop, crop, 3) uint8 and ``aflow`` (2, crop, crop) float32 (NaN =
        invalid), or None when no window pair was found (the caller falls back like the official loader).
    """
    if aflow.shape != (2, ) + img1.shape[:2]:
        raise ValueError(f'flow_pair_crop: aflow {aflow.shape} does not match image 1 {img1.shape[:2]}')
    if short_side2 is not None:
        img2, aflow = rescale_image2(img2, aflow, math.exp(rng.uniform(*np.log(short_side2))))
    if jitter:
        img2 = color_jitter(img2, rng)
    wins = choose_windows(aflow, img2.shape[:2], crop, rng, trials, max_attempts)
    if wins is None:
        return None
    win1, win2 = wins
    a1, a2 = img1[win1], img2[win2]
    flow = aflow[(slice(None), ) + win1]
    if flow.shape[1:] != (crop, crop):  # nearest-neighbour resampling of the flow field (PIL-like)
        flow = np.stack([cv2.resize(f, (crop, crop), interpolation=cv2.INTER_NEAREST_EXACT) for f in flow])
    h2, w2 = a2.shape[:2]
    sx, sy = crop / w2, crop / h2
    flow = np.stack([(flow[0] - win2[1].start + 0.5) * sx - 0.5, (flow[1] - win2[0].start + 0.5) * sy - 0.5])
    return dict(img1=_resize(a1, crop) if a1.shape[:2] != (crop, crop) else np.ascontiguousarray(a1),
                img2=_resize(a2, crop) if a2.shape[:2] != (crop, crop) else np.ascontiguousarray(a2),
                aflow=flow.astype(np.float32))
