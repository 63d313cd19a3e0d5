"""Training pairs made from single images by a random homography (R2D2's synthetic pairs).

Recipe (R2D2 ``SyntheticPairDataset`` + ``PairLoader``, re-expressed with exact homographies):
the image is rescaled so its short side is log-uniform in ``short_side``; view 2 is that image
tilted (R2D2's ``RandomTilting``: the two corners of one random side pushed apart by up to
``max_tilt·max(w, h)``) and rescaled again by a log-uniform factor ``scale2``; then a window pair is
chosen the way the official loader does (local scale σ of the warp at a random point: view 1's
window is ``crop/σ`` and view 2's ``crop`` when σ < 1, else ``crop`` and ``crop·σ``; the best of
a few trials by overlap), both windows are resampled to ``crop × crop`` directly from the source
image (one bilinear interpolation each), and view 2 gets colour jitter and uniform pixel noise.
The flow is the composed homography, so it is exact; pixels that leave view 2 keep their
(out-of-image) positions, which the losses treat as unmatched.
"""
import math
from typing import Dict, Optional, Tuple

import cv2
import numpy as np

from .homography import homography_aflow


def tilt_homography(width: int, height: int, direction: int, amount: float) -> np.ndarray:
    """Perspective 'tilt': the two corners of one side move apart by ``amount`` px along that side.

    ``direction``: 0 left side, 1 right side, 2 top side, 3 bottom side. Returns the (3, 3)
    homography mapping the original image to the tilted one (pixel centres at integers).
    """
    w, h, a = width - 1, height - 1, amount
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src.copy()
    if direction == 0:
        dst[0, 1], dst[3, 1] = -a, h + a
    elif direction == 1:
        dst[1, 1], dst[2, 1] = -a, h + a
    elif direction == 2:
        dst[0, 0], dst[1, 0] = -a, w + a
    elif direction == 3:
        dst[3, 0], dst[2, 0] = -a, w + a
    else:
        raise ValueError(f'tilt direction must be 0..3, got {direction}')
    return cv2.getPerspectiveTransform(src, dst).astype(np.float64)


def local_scale(H: np.ndarray, x: float, y: float) -> float:
    """sqrt(|det J|) of the homography at (x, y): how much it magnifies areas there."""
    p = H @ np.array([x, y, 1.0])
    J = (H[:2, :2] * p[2] - np.outer(p[:2], H[2, :2])) / p[2]**2
    return math.sqrt(abs(np.linalg.det(J)))


def _window(x0: float, y0: float, size: float, out: int) -> np.ndarray:
    """Affine map of the square window [x0, x0+size) to an ``out × out`` image (pixel centres at integers)."""
    s = out / size
    return np.array([[s, 0, (0.5 - x0) * s - 0.5], [0, s, (0.5 - y0) * s - 0.5], [0, 0, 1]])


def color_jitter(img: np.ndarray, rng: np.random.Generator, brightness: float = 0.2, contrast: float = 0.2,
                 saturation: float = 0.2, hue: float = 0.1) -> np.ndarray:
    """torchvision-style ColorJitter on an (H, W, 3) uint8 RGB image (factors drawn in [1-x, 1+x], hue in turns)."""
    x = img.astype(np.float32)
    x *= rng.uniform(1 - brightness, 1 + brightness)
    grey = x.mean()
    x = (x - grey) * rng.uniform(1 - contrast, 1 + contrast) + grey
    lum = x @ np.float32([0.299, 0.587, 0.114])
    x = (x - lum[..., None]) * rng.uniform(1 - saturation, 1 + saturation) + lum[..., None]
    x = np.clip(x, 0, 255).astype(np.uint8)
    if hue:
        hsv = cv2.cvtColor(x, cv2.COLOR_RGB2HSV_FULL)
        hsv[..., 0] = (hsv[..., 0].astype(np.int32) + int(round(rng.uniform(-hue, hue) * 256))) % 256
        x = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL)
    return x


def synthetic_pair(img: np.ndarray, rng: np.random.Generator, crop: int = 192,
                   short_side: Tuple[int, int] = (256, 1024), max_tilt: float = 0.5,
                   scale2: Tuple[float, float] = (0.5, 2.0), noise: float = 25, jitter: bool = True,
                   trials: int = 25, min_overlap: float = 0.5,
                   img2: Optional[np.ndarray] = None) -> Optional[Dict[str, np.ndarray]]:
    """One training pair from an (H, W, 3) uint8 RGB image.

    With ``img2`` (H2, W2, 3), a *still pair* (R2D2's ``StillPairDataset``, e.g. an Aachen image and its day→night
    style transfer): view 2 is drawn from ``img2`` instead of ``img``, the two sources related by the identity flow
    rescaled to ``img2``'s size (x2 = x·W2/W, y2 = y·H2/H); the tilt, scale, jitter and noise are applied on top.

    Returns:
        dict or None: ``img1``, ``img2`` (crop, crop, 3) uint8, ``aflow`` (2, crop, crop) float32
        (view-1 pixel -> view-2 position) and ``H`` (3, 3) the crop-to-crop homography; None when no
        window pair reaches ``min_overlap`` (the caller draws again).
    """
    h0, w0 = img.shape[:2]
    s0 = math.exp(rng.uniform(math.log(short_side[0]), math.log(short_side[1]))) / min(h0, w0)
    S0 = np.diag([s0, s0, 1.0])  # source -> view 1 (the rescaled image)
    w, h = round(w0 * s0), round(h0 * s0)
    tilt = tilt_homography(w, h, int(rng.integers(4)), rng.integers(1, math.ceil(max_tilt * max(w, h)) + 1))
    s2 = math.exp(rng.uniform(math.log(scale2[0]), math.log(scale2[1])))
    H12 = np.diag([s2, s2, 1.0]) @ tilt  # view 1 -> view 2
    w2, h2 = w * s2, h * s2
    best = None
    for _ in range(trials):
        x, y = rng.uniform(0, w - 1), rng.uniform(0, h - 1)
        sigma = local_scale(H12, x, y)
        if not 0.2 < sigma < 5:
            continue
        win1, win2 = (crop / sigma, crop) if sigma < 1 else (crop, crop * sigma)
        if win1 > min(w, h) or win2 > min(w2, h2):
            continue
        p = H12 @ np.array([x, y, 1.0])
        x2, y2 = p[:2] / p[2]
        # windows centred on the two corresponding points, shifted to stay inside their images
        x1_0, y1_0 = np.clip(x - win1 / 2, 0, w - win1), np.clip(y - win1 / 2, 0, h - win1)
        x2_0, y2_0 = np.clip(x2 - win2 / 2, 0, w2 - win2), np.clip(y2 - win2 / 2, 0, h2 - win2)
        A1, A2 = _window(x1_0, y1_0, win1, crop), _window(x2_0, y2_0, win2, crop)
        Hc = A2 @ H12 @ np.linalg.inv(A1)
        flow = homography_aflow(Hc, crop, crop).numpy()
        inside = np.isfinite(flow).all(0) & (flow[0] >= 0) & (flow[0] <= crop - 1) & (flow[1] >= 0) & \
            (flow[1] <= crop - 1)
        if best is None or inside.mean() > best[0]:
            best = (inside.mean(), A1, A2, Hc, flow)
    if best is None or best[0] < min_overlap:
        return None
    _, A1, A2, Hc, flow = best
    size = (crop, crop)
    img1 = cv2.warpPerspective(img, A1 @ S0, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    if img2 is None:
        img2 = cv2.warpPerspective(img, A2 @ H12 @ S0, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    else:  # source 1 -> source 2 is diag(W2/W, H2/H): warp img2 by (view 1 source -> view 2) after its inverse
        D_inv = np.diag([w0 / img2.shape[1], h0 / img2.shape[0], 1.0])
        img2 = cv2.warpPerspective(img2, A2 @ H12 @ S0 @ D_inv, size, flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT)
    if jitter:
        img2 = color_jitter(img2, rng)
    if noise:
        # uniform noise of width ``noise``, +0.5 so that the truncating cast rounds (as R2D2's PixelNoise)
        img2 = np.clip(img2 + rng.uniform(0.5 - noise / 2, 0.5 + noise / 2, img2.shape), 0, 255).astype(np.uint8)
    return dict(img1=img1, img2=img2, aflow=flow.astype(np.float32), H=Hc)
