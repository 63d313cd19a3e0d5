"""BBAM → pseudo instance masks (spec §3.2-§3.3; official ``make_annotation/anno_utils.py``).

Two variants, chosen by ``cfg['variant']``:

* ``'code-parity'`` (what the official code runs, and what produced the paper's numbers): each BBAM is
  post-processed twice, with the box-area quantiles th_fg = 0.85 (strict mask T_fg) and th_fg = 0.2 (loose
  mask T_loose). One pass: normalise → ×GT-box indicator → rank threshold (the top (1 − th_fg) fraction of
  the box's pixels saturate to 1) → Gaussian blur (kernel 2k+1, σ = k, k = int(16 + 48·√(A_box/(W·H))))
  → ×box → renormalise → dense CRF on [m, 1 − m] → foreground = Q_fg > 0.9 → small-mask fallback priors.
  Pixels in T_loose \\ T_fg are ignored downstream.
* ``'paper'`` (the paper's text, Sec. 3.3/4): one CRF-refined BBAM, foreground where the value exceeds
  θ_fg = 0.8, background where it is below θ_bg = 0.2, the rest ignored (strict = Q > θ_fg, loose = Q ≥ θ_bg).
  ``paper_values='bbam'`` thresholds the raw normalised BBAM instead of the CRF posterior [infer: the text
  refines the BBAM with a CRF first, so 'crf' is the default].

Both variants use the zero-BBAM fallback (no positive proposal, or nothing left inside the box): the box
filled with a prior p ∈ {0.7, 0.8, 0.9, 0.95} goes through the CRF and the first mask larger than A_box/5 is
accepted. **Bug fixed**: the official code appends no mask when no prior is accepted (so its mask list
silently misaligns with the boxes); here every box always gets exactly one mask, the last attempt, and an
empty result becomes the filled box (``empty_fallback='box'``).

Box pixels: a box (x1, y1, x2, y2) is read as 0-based pixel indices, VOC/mmdet style (x2 the last column).
``box_end_inclusive=True`` (default) covers columns x1..x2; ``False`` reproduces the official slicing
``[y1:y2, x1:x2]``, which drops the box's last row and column.
"""
import copy
from typing import Optional, Sequence

import cv2
import numpy as np

from .crf import CRF_DEFAULTS, ImageCRF

VARIANTS = ('code-parity', 'paper')

POSTPROCESS_DEFAULTS = dict(
    variant='code-parity',
    # code-parity thresholds (box-area quantiles; spec §3.3: the dataset name "fg_85_ignore_2")
    th_fg_strict=0.85,       # θ_fg as coded: top 15 % of the box saturates -> strict mask T_fg
    th_fg_loose=0.2,         # θ_bg as coded: top 80 % of the box saturates -> loose mask T_loose
    # paper thresholds (value thresholds on the attribution map; paper Sec. 3.3 and 4 "Reproducibility")
    theta_fg=0.8,            # θ_fg: value > θ_fg -> foreground
    theta_bg=0.2,            # θ_bg: value < θ_bg -> background (between: ignored)
    paper_values='crf',      # paper variant thresholds the CRF posterior ('crf') or the normalised BBAM ('bbam')
    blur=True,               # the undocumented Gaussian blur before the CRF (code only)
    blur_base=16.0,          # k = int(blur_base + blur_scale * sqrt(A_box / (W * H))): the adaptive stride s(a)
    blur_scale=48.0,         # of Eq. 1 (s(a) = 16 + 48 sqrt(a)), in original pixels; kernel 2k+1, sigma k
    fg_threshold=0.9,        # foreground = CRF posterior Q_fg > 0.9 (code)
    small_fallback=True,     # retry with box priors when the mask is tiny (code only)
    small_area_frac=0.2,     # ... if area(fg) <= A_box * 1/5
    small_box_frac=0.1,      # ... and A_box <= 10 % of the image
    small_priors=(0.7, 0.8, 0.9, 0.95, 0.96),  # box prior p for the retries (fg pixels kept at 1)
    small_accept_frac=1 / 3,  # accept the first retry with area > A_box / 3 (else the last retry)
    zero_priors=(0.7, 0.8, 0.9, 0.95),  # zero-BBAM fallback: box filled with p, then CRF
    zero_accept_frac=0.2,    # accept the first with area > A_box / 5 (else the last; bug fix)
    empty_fallback='box',    # a mask that is still empty becomes the filled box ('box') or stays empty (None)
    clip_to_box=True,        # final masks are clipped to the GT box (spec §6 item 12)
    box_end_inclusive=True,  # box covers x1..x2 (True) or the official slice x1..x2-1 (False)
    loose_contains_strict=False,  # union the strict mask into the loose one (the official non-MCG JSONs do not)
    crf=dict(CRF_DEFAULTS),  # dense CRF settings (crf.CRF_DEFAULTS); None skips the CRF (Q_fg = input)
)

_PAPER_OVERRIDES = dict(variant='paper', blur=False, small_fallback=False)


def postprocess_config(variant: str = 'code-parity', **overrides) -> dict:
    """The post-processing settings of a variant, updated with ``overrides``.

    Args:
        variant (str): 'code-parity' (quantile procedure, the defaults) or 'paper' (value thresholds θ_fg/θ_bg,
            no blur, no small-mask retries).
        **overrides: keys of :data:`POSTPROCESS_DEFAULTS`; ``crf`` may be a partial dict or None.

    Returns:
        dict: a complete, checked settings dict.
    """
    if variant not in VARIANTS:
        raise ValueError(f'postprocess_config: variant must be one of {VARIANTS}, got {variant!r}')
    cfg = copy.deepcopy(POSTPROCESS_DEFAULTS)
    if variant == 'paper':
        cfg.update(_PAPER_OVERRIDES)
    return check_postprocess_config(dict(cfg, **overrides))


def check_postprocess_config(cfg: dict) -> dict:
    """Fill missing keys with the defaults of ``cfg['variant']`` and validate; returns a new dict."""
    variant = cfg.get('variant', 'code-parity')
    if variant not in VARIANTS:
        raise ValueError(f'postprocess config: variant must be one of {VARIANTS}, got {variant!r}')
    base = copy.deepcopy(POSTPROCESS_DEFAULTS)
    if variant == 'paper':
        base.update(_PAPER_OVERRIDES)
    unknown = sorted(set(cfg) - set(base))
    if unknown:
        raise KeyError(f'postprocess config: unknown keys {unknown}; expected some of {sorted(base)}')
    out = dict(base, **cfg)
    if out['crf'] is not None:
        out['crf'] = dict(CRF_DEFAULTS, **out['crf'])
    for key in ('th_fg_strict', 'th_fg_loose', 'theta_fg', 'theta_bg', 'fg_threshold'):
        if not 0.0 <= float(out[key]) <= 1.0:
            raise ValueError(f'postprocess config: {key} must lie in [0, 1], got {out[key]!r}')
    if out['paper_values'] not in ('crf', 'bbam'):
        raise ValueError(f"postprocess config: paper_values must be 'crf' or 'bbam', got {out['paper_values']!r}")
    if out['empty_fallback'] not in ('box', None):
        raise ValueError(f"postprocess config: empty_fallback must be 'box' or None, got {out['empty_fallback']!r}")
    return out


def box_mask(box: Sequence[float], shape: Sequence[int], inclusive: bool = True) -> np.ndarray:
    """Indicator of a box's pixels.

    Args:
        box (Sequence[float]): (x1, y1, x2, y2), 0-based pixel indices (VOC xmin − 1 ...).
        shape (Sequence[int]): (H, W) of the image.
        inclusive (bool): include column x2 and row y2 (True) or stop before them (the official slicing).

    Returns:
        np.ndarray: (H, W) bool.
    """
    h, w = int(shape[0]), int(shape[1])
    x1, y1, x2, y2 = (float(v) for v in box)
    end = 1 if inclusive else 0
    c0, r0 = max(int(np.floor(x1)), 0), max(int(np.floor(y1)), 0)
    c1, r1 = min(int(np.floor(x2)) + end, w), min(int(np.floor(y2)) + end, h)
    out = np.zeros((h, w), dtype=bool)
    if c1 > c0 and r1 > r0:
        out[r0:r1, c0:c1] = True
    return out


def normalise_map(m: np.ndarray) -> np.ndarray:
    """(m − min) / max as the official ``mask_norm`` (divides by max, not max − min); all-zero stays zero."""
    m = np.asarray(m, dtype=np.float64)
    peak = m.max() if m.size else 0.0
    return (m - m.min()) / peak if peak > 0 else np.zeros_like(m)


def rank_threshold(m: np.ndarray, box_area: int, th_fg: float) -> np.ndarray:
    """Saturate the top (1 − th_fg) fraction of the box's pixels (spec §3.2 step 3).

    thr = the value at index ``int(A_box · (1 − th_fg))`` of the map sorted in descending order, plus 1e-8;
    returns ``clip(m / thr, 0, 1)``. Exactly the ``int(A_box · (1 − th_fg))`` largest (distinct) values reach 1.

    Args:
        m (np.ndarray): (H, W) map, zero outside the box, values in [0, 1].
        box_area (int): A_box, the number of box pixels.
        th_fg (float): the quantile (0.85 strict, 0.2 loose).

    Returns:
        np.ndarray: (H, W) float64 in [0, 1].
    """
    flat = np.asarray(m, dtype=np.float64).ravel()
    idx = min(int(box_area * (1.0 - th_fg)), flat.size - 1)
    # value of rank idx in descending order = the (size-1-idx)-th smallest
    kth = flat.size - 1 - idx
    thr = np.partition(flat, kth)[kth] + 1e-8
    return np.clip(m / thr, 0.0, 1.0)


def blur_kernel_half_size(box_area: float, height: int, width: int, base: float = 16.0,
                          scale: float = 48.0) -> int:
    """k = int(base + scale·√(A_box / (W·H))): the Gaussian kernel is (2k+1)×(2k+1) with σ = k."""
    return int(base + scale * np.sqrt(float(box_area) / float(height * width)))


def _crf_q(crf: Optional[ImageCRF], prob: np.ndarray) -> np.ndarray:
    """Q_fg of the image's CRF, or the input itself when the CRF is switched off (``cfg['crf'] = None``)."""
    return prob.astype(np.float32) if crf is None else crf.foreground(prob)


def image_crf(image: np.ndarray, cfg: dict) -> Optional[ImageCRF]:
    """The CRF shared by all passes and boxes of an image (None when ``cfg['crf']`` is None)."""
    return None if cfg['crf'] is None else ImageCRF(image, cfg['crf'])


def _prior_attempts(crf: Optional[ImageCRF], box: np.ndarray, seed: np.ndarray, priors: Sequence[float],
                    accept_area: float, cfg: dict) -> np.ndarray:
    """Fill the box with each prior p (seed pixels at 1), CRF, threshold; first mask > accept_area, else the last."""
    mask = seed.copy()
    for p in priors:
        start = box * float(p)
        start[seed] = 1.0
        mask = _crf_q(crf, start) > cfg['fg_threshold']
        if mask.sum() > accept_area:
            break
    return mask


def zero_bbam_fallback(crf: Optional[ImageCRF], box: np.ndarray, cfg: dict) -> np.ndarray:
    """Mask for a box whose BBAM is empty: box priors + CRF (spec §3.2 step 8, with the missing-mask bug fixed).

    Args:
        crf (ImageCRF, optional): the image's CRF (:func:`image_crf`; None: no CRF).
        box (np.ndarray): (H, W) bool box indicator.
        cfg (dict): post-processing settings.

    Returns:
        np.ndarray: (H, W) bool; always a mask (the last attempt when no prior is accepted).
    """
    seed = np.zeros(box.shape, dtype=bool)
    return _prior_attempts(crf, box.astype(np.float64), seed, cfg['zero_priors'],
                           box.sum() * cfg['zero_accept_frac'], cfg)


def quantile_pass(m: np.ndarray, box: np.ndarray, crf: Optional[ImageCRF], th_fg: float, cfg: dict) -> tuple:
    """One code-parity pass on a normalised, box-clipped map (spec §3.2 steps 3-7).

    Args:
        m (np.ndarray): (H, W) normalised BBAM × box indicator (not all zero).
        box (np.ndarray): (H, W) bool box indicator.
        crf (ImageCRF, optional): the image's CRF (:func:`image_crf`; None: no CRF).
        th_fg (float): the box-area quantile.
        cfg (dict): post-processing settings.

    Returns:
        tuple: (mask (H, W) bool, used_small_fallback bool).
    """
    h, w = box.shape
    area = int(box.sum())
    boxf = box.astype(np.float64)
    m = rank_threshold(m, area, th_fg)
    if cfg['blur']:
        k = blur_kernel_half_size(area, h, w, cfg['blur_base'], cfg['blur_scale'])
        m = cv2.GaussianBlur(m, (2 * k + 1, 2 * k + 1), k) * boxf
        m = normalise_map(m)
    mask = _crf_q(crf, m) > cfg['fg_threshold']
    small = (cfg['small_fallback'] and mask.sum() <= area * cfg['small_area_frac']
             and area <= cfg['small_box_frac'] * h * w)
    if small:
        mask = _prior_attempts(crf, boxf, mask, cfg['small_priors'], area * cfg['small_accept_frac'], cfg)
    return mask, bool(small)


def postprocess_instance(bbam: np.ndarray, box: Sequence[float], image: np.ndarray, cfg: Optional[dict] = None,
                         crf: Optional[ImageCRF] = None) -> dict:
    """Strict and loose pseudo masks of one object from its BBAM.

    Args:
        bbam (np.ndarray): (h, w) attribution map (any scale; resized bilinearly to the image if needed).
        box (Sequence[float]): GT box (x1, y1, x2, y2), 0-based pixel indices of the original image.
        image (np.ndarray): (H, W, 3) uint8 original image.
        cfg (dict, optional): post-processing settings (:func:`postprocess_config`); default code-parity.
        crf (ImageCRF, optional): the image's CRF built with ``cfg['crf']`` (:func:`image_crf`), to share it
            between boxes; built here when omitted.

    Returns:
        dict: ``strict`` (H, W) bool (T_fg), ``loose`` (H, W) bool (T_loose), ``fallback`` (str: 'none',
        'zero' (empty BBAM), 'small' (small-mask retries in a pass), 'box' (an empty mask became the box)).
    """
    cfg = check_postprocess_config(cfg or {})
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'postprocess_instance: image must be (H, W, 3) uint8, got {image.shape} {image.dtype}')
    h, w = image.shape[:2]
    bbam = np.asarray(bbam, dtype=np.float32)
    if bbam.ndim != 2:
        raise ValueError(f'postprocess_instance: bbam must be a 2-D map, got shape {bbam.shape}')
    if not np.isfinite(bbam).all():
        raise ValueError('postprocess_instance: bbam holds NaN or inf')
    box_ind = box_mask(box, (h, w), cfg['box_end_inclusive'])
    if crf is None:
        crf = image_crf(image, cfg)
    elif tuple(crf.shape) != (h, w):
        raise ValueError(f'postprocess_instance: the CRF was built for a {crf.shape} image, this one is {(h, w)}')
    m = normalise_map(bbam)
    if m.shape != (h, w):
        m = cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR)
    m = m * box_ind
    fallback = 'none'
    if m.max() <= 0:
        strict = loose = zero_bbam_fallback(crf, box_ind, cfg)
        fallback = 'zero'
    elif cfg['variant'] == 'paper':
        values = _crf_q(crf, m) if cfg['paper_values'] == 'crf' else m
        strict, loose = values > cfg['theta_fg'], values >= cfg['theta_bg']
    else:
        strict, small_s = quantile_pass(m, box_ind, crf, cfg['th_fg_strict'], cfg)
        loose, small_l = quantile_pass(m, box_ind, crf, cfg['th_fg_loose'], cfg)
        fallback = 'small' if small_s or small_l else 'none'
    if cfg['clip_to_box']:
        strict, loose = strict & box_ind, loose & box_ind
    if cfg['empty_fallback'] == 'box':
        if not strict.any():
            strict, fallback = box_ind.copy(), 'box'
        if not loose.any():
            loose, fallback = box_ind.copy(), 'box'
    if cfg['loose_contains_strict']:
        loose = loose | strict
    return dict(strict=strict, loose=loose, fallback=fallback)


def postprocess_image(maps: np.ndarray, boxes: np.ndarray, image: np.ndarray, cfg: Optional[dict] = None) -> dict:
    """Strict/loose masks and ignore bands for every box of an image (one mask per box, always).

    Args:
        maps (np.ndarray): (N, h, w) BBAMs, one per box.
        boxes (np.ndarray): (N, 4) GT boxes (x1, y1, x2, y2), 0-based pixels of the original image.
        image (np.ndarray): (H, W, 3) uint8.
        cfg (dict, optional): post-processing settings.

    Returns:
        dict: ``strict``, ``loose``, ``ignore`` (= loose & ~strict), each (N, H, W) bool; ``fallbacks`` list[str].
    """
    cfg = check_postprocess_config(cfg or {})
    maps, boxes = np.asarray(maps), np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if maps.ndim != 3 or len(maps) != len(boxes):
        raise ValueError(f'postprocess_image: maps must be (N, h, w) with N = {len(boxes)} boxes, got {maps.shape}')
    h, w = image.shape[:2]
    strict = np.zeros((len(boxes), h, w), dtype=bool)
    loose = np.zeros_like(strict)
    fallbacks = []
    crf = image_crf(image, cfg) if len(boxes) else None
    for i, (m, box) in enumerate(zip(maps, boxes)):
        r = postprocess_instance(m, box, image, cfg, crf)
        strict[i], loose[i] = r['strict'], r['loose']
        fallbacks.append(r['fallback'])
    return dict(strict=strict, loose=loose, ignore=loose & ~strict, fallbacks=fallbacks)
