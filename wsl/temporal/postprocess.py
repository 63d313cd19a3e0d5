"""D2-Net inference post-processing, vectorized with NumPy (official test.py + detectionMAP.py).

Per video: refined TCAM r = λ'·T; class selection on top-k pooled r; for each kept class and each
threshold θ, 1-D connected runs of r_c > θ ([s, e), snippet units, e exclusive) of >= 2 snippets;
outer-inner contrast score with 25% inflation; greedy class-wise NMS; per-class score cut.
Constants are arguments (code values by default; the paper's in comments).
"""
from typing import Dict, Optional, Sequence

import numpy as np

# θ = j/40, j = 1..19 → 0.025 ... 0.475 (code); the paper says 0.025 ... 0.5 (j = 1..20)
CODE_THRESHOLDS = tuple(j / 40 for j in range(1, 20))
PAPER_THRESHOLDS = tuple(j / 40 for j in range(1, 21))


def refine_tcam(tcam: np.ndarray, lambda_prime: np.ndarray, rescale_max: Optional[float] = None) -> np.ndarray:
    """r[t, c] = λ'(t)·T[t, c].

    Args:
        tcam (ndarray): (T, C) TCAM.
        lambda_prime (ndarray): (T,) bottom-up attention λ'.
        rescale_max (float, optional): rescale λ' so that its maximum is this value first
            (ActivityNet in the code: 2).

    Returns:
        ndarray: (T, C) refined scores r.
    """
    lam = np.asarray(lambda_prime, dtype=np.float64)
    if rescale_max is not None and lam.size and lam.max() > 0:
        lam = lam * rescale_max / lam.max()
    return np.asarray(tcam, dtype=np.float64) * lam[:, None]


def class_scores(scores: np.ndarray, k_divisor: float = 8, rounding: str = 'floor') -> np.ndarray:
    """Per-class mean of the top max(1, round(T / k_divisor)) values of (T, C) scores → (C,)."""
    T = scores.shape[0]
    k = T / k_divisor
    k = max(1, int(np.floor(k) if rounding == 'floor' else np.ceil(k)))
    top = -np.sort(-scores, axis=0)[:k]
    return top.mean(axis=0)


def select_classes(cls_scores: np.ndarray, rule: str = 'half_max') -> np.ndarray:
    """Which classes to localize.

    Args:
        cls_scores (ndarray): (C,) class scores c_s.
        rule (str): 'half_max': c_s > max(c_s)/2 and c_s > 0 (THUMOS, code; paper p_th = 0.5·max p);
            'top2': c_s > max(a, 3rd-largest c_s), a = 1 if any c_s > 1 else 0.5 (ActivityNet, code).

    Returns:
        ndarray: (C,) bool.
    """
    c = np.asarray(cls_scores, dtype=np.float64)
    if rule == 'half_max':
        return (c > c.max() / 2) & (c > 0)
    if rule == 'top2':
        a = 1.0 if (c > 1).any() else 0.5
        third = np.sort(c)[-3] if c.size >= 3 else -np.inf
        return c > max(a, third)
    raise ValueError(f"rule must be 'half_max' or 'top2', got {rule!r}")


def threshold_runs(r: np.ndarray, thresholds: Sequence[float], min_len: int = 2):
    """Connected runs of r > θ for every row and threshold.

    Args:
        r (ndarray): (K, T) scores of K classes.
        thresholds (sequence): J thresholds θ.
        min_len (int): runs shorter than this are dropped.

    Returns:
        tuple[ndarray, ndarray, ndarray]: row index k, start s and exclusive end e, each (N,), ordered
        by row, then threshold, then start.
    """
    K, T = r.shape
    on = r[:, None, :] > np.asarray(thresholds, dtype=np.float64)[None, :, None]  # (K, J, T)
    pad = np.zeros((K, on.shape[1], 1), dtype=np.int8)
    d = np.diff(np.concatenate([pad, on.astype(np.int8), pad], axis=2), axis=2)  # (K, J, T + 1)
    k, _, s = np.nonzero(d == 1)
    e = np.nonzero(d == -1)[2]
    long_enough = (e - s) >= min_len
    return k[long_enough], s[long_enough], e[long_enough]


def outer_inner_contrast(r: np.ndarray, k: np.ndarray, s: np.ndarray, e: np.ndarray,
                         inflate: float = 0.25):
    """Outer-inner contrast of proposals [s, e) on rows k of r (AutoLoc-style, 25% inflation).

    outer = mean of the means over [s - m, s) and [e, e + m) (clipped to the video; one side if only
    one exists), m = max(1, floor(len·inflate)). score = inner - outer, or inner when the proposal
    covers the whole video.

    Args:
        r (ndarray): (K, T) scores; k, s, e (ndarray): (N,) proposals.
        inflate (float): inflation ratio on each side.

    Returns:
        tuple[ndarray, ndarray, ndarray]: score (N,), inner (N,), outer (N,) (NaN where no side).
    """
    T = r.shape[1]
    cs = np.concatenate([np.zeros((r.shape[0], 1)), np.cumsum(r, axis=1, dtype=np.float64)], axis=1)
    length = e - s
    inner = (cs[k, e] - cs[k, s]) / length
    m = np.maximum(1, np.floor(length * inflate).astype(np.int64))
    a, b = np.maximum(0, s - m), np.minimum(e + m, T)
    has_l, has_r = a < s, b > e
    with np.errstate(invalid='ignore', divide='ignore'):
        left = (cs[k, s] - cs[k, a]) / (s - a)
        right = (cs[k, b] - cs[k, e]) / (b - e)
    outer = np.where(has_l & has_r, (left + right) / 2, np.where(has_l, left, np.where(has_r, right, np.nan)))
    score = np.where(has_l | has_r, inner - outer, inner)
    return score, inner, outer


def segment_iou_1d(s: int, e: int, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """IoU of the integer snippet range [s, e) with ranges [starts, ends) (as index sets)."""
    inter = np.maximum(0, np.minimum(e, ends) - np.maximum(s, starts))
    union = (e - s) + (ends - starts) - inter
    return np.where(union > 0, inter / np.maximum(union, 1), 0.0)


def nms_1d(starts: np.ndarray, ends: np.ndarray, scores: np.ndarray, iou_thr: float = 0.3) -> np.ndarray:
    """Greedy 1-D NMS: visit by descending score (stable), drop later ones with IoU >= iou_thr.

    Args:
        starts, ends (ndarray): (N,) integer ranges [s, e); scores (ndarray): (N,).
        iou_thr (float): suppression IoU (code 0.3; paper 0.5).

    Returns:
        ndarray: indices of the kept proposals, by descending score.
    """
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind='stable')
    s, e = starts[order], ends[order]
    alive = np.ones(len(order), dtype=bool)
    for i in range(len(order)):
        if alive[i]:
            alive[i + 1:] &= segment_iou_1d(s[i], e[i], s[i + 1:], e[i + 1:]) < iou_thr
    return order[alive]


def localize(r: np.ndarray, select_scores: Optional[np.ndarray] = None,
             thresholds: Sequence[float] = CODE_THRESHOLDS, min_len: int = 2, inflate: float = 0.25,
             contrast_thr: Optional[float] = 0.7, nms_iou: float = 0.3, score_ratio: float = 0.1,
             class_rule: str = 'half_max', k_divisor: float = 8, k_rounding: str = 'floor') -> Dict[str, np.ndarray]:
    """Detections of one video from its refined scores.

    Args:
        r (ndarray): (T, C) refined scores r = λ'·T (proposals and contrast are computed on r).
        select_scores (ndarray, optional): (T, C) scores for class selection; default r (code).
            Pass T for the paper's "top-k pooling on T".
        thresholds (sequence): proposal thresholds θ.
        min_len (int): minimum proposal length in snippets (code 2).
        inflate (float): contrast inflation on each side (0.25).
        contrast_thr (float, optional): keep a proposal only if (outer - inner + 1)/2 <= this
            (code 0.7, i.e. inner - outer >= -0.4); None keeps all (paper).
        nms_iou (float): class-wise NMS IoU (code 0.3, paper 0.5).
        score_ratio (float): after NMS keep scores >= score_ratio·(top score of the video-class).
        class_rule (str): see :func:`select_classes` ('half_max' THUMOS, 'top2' ActivityNet).
        k_divisor (float), k_rounding (str): class score top-k (code: floor(T/8), floor(T/4) ANet).

    Returns:
        dict: ``segments`` (N, 2) int64 [s, e) in snippets, ``scores`` (N,), ``labels`` (N,) int64,
        grouped by class (ascending), each by descending score.
    """
    r = np.asarray(r, dtype=np.float64)
    empty = dict(segments=np.zeros((0, 2), np.int64), scores=np.zeros(0), labels=np.zeros(0, np.int64))
    if r.ndim != 2 or r.shape[0] == 0:
        return empty
    sel = select_scores if select_scores is not None else r
    classes = np.flatnonzero(select_classes(class_scores(np.asarray(sel, np.float64), k_divisor, k_rounding),
                                            class_rule))
    if classes.size == 0:
        return empty
    rc = r[:, classes].T  # (K, T)
    k, s, e = threshold_runs(rc, thresholds, min_len)
    if k.size == 0:
        return empty
    # identical (class, s, e) proposals from several θ have identical scores; NMS keeps one of them
    key = np.stack([k, s, e], axis=1)
    _, first = np.unique(key, axis=0, return_index=True)
    first = np.sort(first)
    k, s, e = k[first], s[first], e[first]
    score, inner, outer = outer_inner_contrast(rc, k, s, e, inflate)
    if contrast_thr is not None:
        ok = np.isnan(outer) | ((outer - inner + 1) / 2 <= contrast_thr)
        k, s, e, score = k[ok], s[ok], e[ok], score[ok]
    out_k, out_s, out_e, out_sc = [], [], [], []
    for ki in np.unique(k):
        idx = np.flatnonzero(k == ki)
        keep = idx[nms_1d(s[idx], e[idx], score[idx], nms_iou)]
        keep = keep[score[keep] >= score_ratio * score[keep[0]]]
        out_k.append(np.full(len(keep), classes[ki])), out_s.append(s[keep])
        out_e.append(e[keep]), out_sc.append(score[keep])
    if not out_k:
        return empty
    return dict(segments=np.stack([np.concatenate(out_s), np.concatenate(out_e)], axis=1).astype(np.int64),
                scores=np.concatenate(out_sc), labels=np.concatenate(out_k).astype(np.int64))
