"""Box-to-mask baselines that need no detector: the filled box, the box through BBAM's dense-CRF post-processing,
and OpenCV GrabCut initialised with the box.

These are the classic low-level pseudo-mask generators the BBAM paper argues against (Sec. 1-2: "mostly based
on GrabCut [54] or MCG [50]"); they bound what the attribution maps add. :func:`box_crf_masks` is the control
for BBAM's post-processing: the same thresholds, blur, CRF and fallbacks, with the box instead of the BBAM.
"""
from typing import Optional, Sequence

import cv2
import numpy as np

from .postprocess import box_mask, check_postprocess_config, postprocess_image

BOX_CRF_STARTS = ('box', 'prior')

GRABCUT_DEFAULTS = dict(
    iterations=5,           # cv2.grabCut iterCount (GMM / graph-cut rounds)
    box_end_inclusive=True,  # box pixels as in postprocess.box_mask
    empty_fallback='box',   # GrabCut that finds nothing (or cannot run: box = whole image, < 2 px) -> filled box
    seed=0,                 # cv2.setRNGSeed before each call (GrabCut's k-means GMM init draws from OpenCV's RNG)
)


def grabcut_config(**overrides) -> dict:
    """:data:`GRABCUT_DEFAULTS` updated with ``overrides`` (unknown keys raise ``KeyError``)."""
    unknown = sorted(set(overrides) - set(GRABCUT_DEFAULTS))
    if unknown:
        raise KeyError(f'grabcut_config: unknown keys {unknown}; expected some of {sorted(GRABCUT_DEFAULTS)}')
    cfg = dict(GRABCUT_DEFAULTS, **overrides)
    if int(cfg['iterations']) < 1:
        raise ValueError(f"grabcut_config: iterations must be >= 1, got {cfg['iterations']!r}")
    if cfg['empty_fallback'] not in ('box', None):
        raise ValueError(f"grabcut_config: empty_fallback must be 'box' or None, got {cfg['empty_fallback']!r}")
    return cfg


def filled_box_masks(boxes: np.ndarray, shape: Sequence[int], inclusive: bool = True) -> np.ndarray:
    """Each box filled: the weakest box-supervised pseudo mask.

    Args:
        boxes (np.ndarray): (N, 4) (x1, y1, x2, y2), 0-based pixel indices.
        shape (Sequence[int]): (H, W).
        inclusive (bool): the box covers column x2 / row y2.

    Returns:
        np.ndarray: (N, H, W) bool.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    out = np.zeros((len(boxes), int(shape[0]), int(shape[1])), dtype=bool)
    for i, b in enumerate(boxes):
        out[i] = box_mask(b, shape, inclusive)
    return out


def grabcut_mask(image: np.ndarray, box: Sequence[float], cfg: Optional[dict] = None) -> np.ndarray:
    """GrabCut (``cv2.grabCut`` with ``GC_INIT_WITH_RECT``) of one box.

    Pixels outside the box are fixed background, the box is "probably foreground"; the result is the
    definite + probable foreground, always inside the box.

    Args:
        image (np.ndarray): (H, W, 3) uint8 (any channel order; GrabCut's colour GMMs do not care).
        box (Sequence[float]): (x1, y1, x2, y2), 0-based pixel indices.
        cfg (dict, optional): :data:`GRABCUT_DEFAULTS` keys.

    Returns:
        np.ndarray: (H, W) bool.
    """
    cfg = grabcut_config(**(cfg or {}))
    image = np.ascontiguousarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'grabcut_mask: image must be (H, W, 3) uint8, got {image.shape} {image.dtype}')
    h, w = image.shape[:2]
    inside = box_mask(box, (h, w), cfg['box_end_inclusive'])
    ys, xs = np.nonzero(inside)
    result = np.zeros((h, w), dtype=bool)
    # GrabCut needs background samples outside the rectangle and a rectangle of at least 2 x 2 pixels
    if len(xs) and inside.sum() < h * w and xs.max() > xs.min() and ys.max() > ys.min():
        rect = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
        gc = np.zeros((h, w), dtype=np.uint8)
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        try:
            cv2.setRNGSeed(int(cfg['seed']))
            cv2.grabCut(image, gc, rect, bgd, fgd, int(cfg['iterations']), cv2.GC_INIT_WITH_RECT)
            result = ((gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)) & inside
        except cv2.error:  # degenerate colour statistics (e.g. a constant image): fall back below
            result = np.zeros((h, w), dtype=bool)
    if not result.any() and cfg['empty_fallback'] == 'box':
        result = inside
    return result


def grabcut_masks(image: np.ndarray, boxes: np.ndarray, cfg: Optional[dict] = None) -> np.ndarray:
    """:func:`grabcut_mask` for every box: (N, 4) boxes → (N, H, W) bool."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    out = np.zeros((len(boxes),) + tuple(image.shape[:2]), dtype=bool)
    for i, b in enumerate(boxes):
        out[i] = grabcut_mask(image, b, cfg)
    return out


def box_crf_masks(image: np.ndarray, boxes: np.ndarray, cfg: Optional[dict] = None, start: str = 'box') -> dict:
    """Box + dense CRF: BBAM's post-processing (:func:`.postprocess.postprocess_image`) run on boxes, not BBAMs.

    Everything but the map is BBAM's: ``cfg`` is the post-processing (and CRF) settings BBAM is run with, the
    result has the same strict/loose/ignore form, so the semantic labels resolve ignore and overlaps the same way.

    * ``start='box'``: the filled box is the map (1 inside, 0 outside) and goes through the whole pipeline of
      ``cfg`` (code-parity: rank thresholds, which saturate a constant box; Gaussian blur, which softens its
      border; CRF; Q_fg > 0.9; small-mask retries).
    * ``start='prior'``: every box takes BBAM's zero-map fallback (spec §3.2 step 8): the box filled with the
      prior p ∈ ``cfg['zero_priors']`` (0.7, 0.8, 0.9, 0.95), CRF, Q_fg > 0.9, the first mask larger than
      A_box · ``cfg['zero_accept_frac']``, else the last attempt (a classic "box + dense CRF" pseudo mask).

    Args:
        image (np.ndarray): (H, W, 3) uint8.
        boxes (np.ndarray): (N, 4) (x1, y1, x2, y2), 0-based pixel indices.
        cfg (dict, optional): post-processing settings (:func:`.postprocess.postprocess_config`); default
            code-parity with the paper's CRF.
        start (str): 'box' or 'prior' (above).

    Returns:
        dict: ``strict``, ``loose``, ``ignore`` (N, H, W) bool and ``fallbacks`` (list[str]), as
        :func:`.postprocess.postprocess_image`.
    """
    if start not in BOX_CRF_STARTS:
        raise ValueError(f'box_crf_masks: start must be one of {BOX_CRF_STARTS}, got {start!r}')
    cfg = check_postprocess_config(cfg or {})
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'box_crf_masks: image must be (H, W, 3) uint8, got {image.shape} {image.dtype}')
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    maps = filled_box_masks(boxes, image.shape[:2], cfg['box_end_inclusive']).astype(np.float32)
    if start == 'prior':
        maps[:] = 0.0  # an all-zero map is what routes a box to the zero-map fallback
    return postprocess_image(maps, boxes, image, cfg)
