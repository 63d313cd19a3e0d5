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
_NMS_MATRIX_MAX = 1024  # NMS over at most this many proposals builds the N x N suppression matrix


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
    return np.sort(scores, axis=0)[:-k - 1:-1].mean(axis=0)  # top k, descending


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
    J = len(thresholds)
    on = np.zeros((K, J, T + 2), dtype=np.int8)  # zero-padded at both ends, so every run has a start and an end
    np.greater(r[:, None, :], np.asarray(thresholds, dtype=np.float64)[None, :, None], out=on[:, :, 1:-1],
               casting='unsafe')
    edges = np.flatnonzero(np.diff(on.ravel()))  # in C order, each row's edges alternate start, end
    # a flat diff also sees the row boundaries, but rows start and end at 0, so no edge lands there
    starts, ends = edges[0::2], edges[1::2]
    row = starts // (T + 2)  # k·J + j
    s, e = starts - row * (T + 2), ends - row * (T + 2)  # [s, e) in snippets (the pad shifts by one, diff back)
    long_enough = (e - s) >= min_len
    return row[long_enough] // J, s[long_enough], e[long_enough]


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
    cs = np.zeros((r.shape[0], T + 1))
    np.cumsum(r, axis=1, out=cs[:, 1:])
    cs = cs.ravel()  # linear indices k·(T + 1) + t below: fewer NumPy calls per video
    base = k * (T + 1)
    length = e - s
    m = np.maximum(1, (length * inflate).astype(np.int64))  # floor (lengths are positive)
    a, b = np.maximum(0, s - m), np.minimum(e + m, T)
    c_s, c_e = cs[base + s], cs[base + e]
    inner = (c_e - c_s) / length
    n_l, n_r = s - a, b - e
    left = (c_s - cs[base + a]) / np.maximum(n_l, 1)  # 0 / 1 where the side is empty (not used then)
    right = (cs[base + b] - c_e) / np.maximum(n_r, 1)
    has_l, has_r = n_l > 0, n_r > 0
    outer = np.where(has_l, np.where(has_r, (left + right) / 2, left), np.where(has_r, right, np.nan))
    score = np.where(has_l | has_r, inner - outer, inner)
    return score, inner, outer


def segment_iou_1d(s, e, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """IoU of integer snippet ranges [s, e) with ranges [starts, ends) as index sets (NumPy broadcasting: scalars
    against (N,) give (N,); (N,) against (N, 1) the (N, N) matrix)."""
    inter = np.maximum(0, np.minimum(e, ends) - np.maximum(s, starts))
    union = (e - s) + (ends - starts) - inter
    return np.where(union > 0, inter / np.maximum(union, 1), 0.0)


def nms_1d(starts: np.ndarray, ends: np.ndarray, scores: np.ndarray, iou_thr: float = 0.3,
           groups: Optional[np.ndarray] = None) -> np.ndarray:
    """Greedy 1-D NMS: visit by descending score (stable), drop later ones with IoU >= iou_thr.

    Only kept proposals are visited (one vectorized IoU row each), so the cost grows with the number kept.

    Args:
        starts, ends (ndarray): (N,) integer ranges [s, e); scores (ndarray): (N,).
        iou_thr (float): suppression IoU (code 0.3; paper 0.5).
        groups (ndarray, optional): (N,) group ids (classes); proposals only suppress their own group
            (class-wise NMS in one call). The result is then ordered by group (ascending), then score.

    Returns:
        ndarray: indices of the kept proposals, by descending score (within each group).
    """
    scores = np.asarray(scores, dtype=np.float64)
    if groups is None:
        order = np.argsort(-scores, kind='stable')
        g = np.zeros(len(order), dtype=np.int64)
    else:
        order = np.lexsort((-scores, groups))  # group, then descending score; stable (ties by index)
        g = np.asarray(groups)[order]
    s, e = np.asarray(starts)[order], np.asarray(ends)[order]
    n = len(order)
    alive = np.ones(n, dtype=bool)
    kept = []
    if n <= _NMS_MATRIX_MAX:  # all pairwise suppressions at once, then one row per kept proposal
        sup = segment_iou_1d(s, e, s[:, None], e[:, None]) >= iou_thr  # symmetric (n, n)
        sup &= g[:, None] == g[None, :]
        i = 0
        while n:
            kept.append(i)
            alive &= ~sup[i]
            alive[i] = False
            i = int(alive.argmax())  # the first one left (the earlier ones were all visited)
            if not alive[i]:
                break
    else:  # long lists: one IoU row per kept proposal, no N x N matrix
        i = 0
        while i < n:
            kept.append(i)
            alive[i] = False
            alive &= ~((g == g[i]) & (segment_iou_1d(s[i], e[i], s, e) >= iou_thr))
            nxt = np.flatnonzero(alive[i + 1:])
            if nxt.size == 0:
                break
            i += 1 + int(nxt[0])
    return order[np.asarray(kept, dtype=np.int64)]


def localize_kwargs(test_cfg: Optional[dict] = None) -> dict:
    """The :func:`localize` arguments held in a model's ``test_cfg`` (code values where a key is missing).

    ``select_on`` ('refined' code / 'tcam' paper) is not an argument of :func:`localize`: the caller passes the
    TCAM as ``select_scores`` when it is 'tcam'.
    """
    cfg = dict(test_cfg or {})
    return dict(thresholds=tuple(cfg.get('thresholds', CODE_THRESHOLDS)), min_len=cfg.get('min_len', 2),
                inflate=cfg.get('inflate', 0.25), contrast_thr=cfg.get('contrast_thr', 0.7),
                nms_iou=cfg.get('nms_iou', 0.3), score_ratio=cfg.get('score_ratio', 0.1),
                class_rule=cfg.get('class_rule', 'half_max'), k_divisor=cfg.get('k_divisor', 8),
                k_rounding=cfg.get('k_rounding', 'floor'))


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
    # identical (class, s, e) proposals from several θ have identical scores and stay adjacent in the stable NMS
    # order, where the first suppresses the others (IoU 1), as in the official code; no deduplication needed
    score, inner, outer = outer_inner_contrast(rc, k, s, e, inflate)
    ok = np.ones(len(k), dtype=bool) if contrast_thr is None else (outer - inner + 1) / 2 <= contrast_thr
    if contrast_thr is not None:
        ok |= np.isnan(outer)  # whole-video proposals have no outer side and are kept
    # Score cut before NMS: the top proposal of a class always survives NMS, so the cut "score >= ratio · top
    # after NMS" is known in advance, and a proposal below it can only suppress proposals below it too.
    top = np.full(len(classes), -np.inf)
    np.maximum.at(top, k, np.where(ok, score, -np.inf))
    ok &= score >= score_ratio * top[k]
    k, s, e, score = k[ok], s[ok], e[ok], score[ok]
    if k.size == 0:
        return empty
    keep = nms_1d(s, e, score, nms_iou, groups=k)
    return dict(segments=np.stack([s[keep], e[keep]], axis=1).astype(np.int64), scores=score[keep],
                labels=classes[k[keep]].astype(np.int64))
