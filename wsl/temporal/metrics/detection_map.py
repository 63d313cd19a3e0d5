"""Temporal action detection mAP with two selectable protocols.

* ``activitynet`` — ActivityNet's official ``eval_detection.py``: segments in seconds; per class and
  threshold, predictions by descending score each take the highest-tIoU ground truth that is not yet
  matched (tIoU >= threshold), otherwise FP; predictions in videos without GT of the class are FP.
* ``legacy`` — the W-TALC / 3C-Net / D2-Net ``detectionMAP.py``: segments in snippet units
  (round(seconds · 25/16)), IoU of integer index sets [s, e); each prediction takes the *first*
  unmatched GT of its video in stored order with IoU >= threshold (first fit); predictions of videos
  without any GT are ignored. The official bug that zeroes the AP of every class after a class with no
  detection is available only through ``zero_later_classes_bug=True``.

Both use the all-point interpolated AP and report mAP × 100. Ties in score are broken by input order
(stable sort), ties in tIoU by GT order. Classes are those with at least one GT segment.
Data layout: ``gt = {video: {'segments': (N, 2) seconds, 'labels': (N,)}}``,
``preds = {video: {'segments': (M, 2) seconds, 'labels': (M,), 'scores': (M,)}}``,
``ambiguous = {video: (A, 2) seconds}``.
"""
from typing import Dict, Mapping, Optional, Sequence

import numpy as np

SNIPPET_RATE = 25 / 16  # snippets per second (16-frame snippets at 25 fps)
# IoU sets; rounded so that 0.3 is the literal 0.3 (a legacy IoU of exactly 3/10 must pass >= 0.3)
IOU_SETS = {
    '0.1:0.5': tuple(np.round(np.arange(0.1, 0.55, 0.1), 4).tolist()),
    '0.1:0.7': tuple(np.round(np.arange(0.1, 0.75, 0.1), 4).tolist()),
    '0.5:0.95': tuple(np.round(np.arange(0.5, 0.975, 0.05), 4).tolist()),
}
PROTOCOLS = ('legacy', 'activitynet')


def interpolated_ap(precision: np.ndarray, recall: np.ndarray) -> float:
    """All-point interpolated AP (VOC / ActivityNet ``interpolated_prec_rec``).

    Args:
        precision, recall (ndarray): (N,) cumulative precision and recall by descending score.

    Returns:
        float: Σ Δrecall · (monotone non-increasing precision envelope).
    """
    mprec = np.concatenate([[0.0], np.asarray(precision, np.float64), [0.0]])
    mrec = np.concatenate([[0.0], np.asarray(recall, np.float64), [1.0]])
    mprec = np.maximum.accumulate(mprec[::-1])[::-1]
    idx = np.flatnonzero(mrec[1:] != mrec[:-1]) + 1
    return float(np.sum((mrec[idx] - mrec[idx - 1]) * mprec[idx]))


def segment_iou(seg: np.ndarray, segs: np.ndarray) -> np.ndarray:
    """IoU of one segment (2,) with (N, 2) segments; lengths below 0 count as 0, empty union gives 0."""
    inter = np.clip(np.minimum(seg[1], segs[:, 1]) - np.maximum(seg[0], segs[:, 0]), 0, None)
    union = max(seg[1] - seg[0], 0) + np.clip(segs[:, 1] - segs[:, 0], 0, None) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def to_snippets(segments: np.ndarray, rate: float = SNIPPET_RATE) -> np.ndarray:
    """Seconds → snippet indices as the legacy code: round(seconds · rate) (round half to even)."""
    return np.round(np.asarray(segments, np.float64).reshape(-1, 2) * rate)


def _match_class(p_vid, p_seg, p_score, g_vid, g_seg, thresholds, protocol):
    """TP flags (K, M) of one class's predictions sorted by descending score (stable).

    Predictions of different videos never compete for a GT, so the greedy matching runs over the rank of a
    prediction inside its video: step r matches the r-th best prediction of every video at once, for all K
    thresholds, against the (video's GT in stored order) x (IoU) table computed once.
    """
    order = np.argsort(-np.asarray(p_score, np.float64), kind='stable')
    thr = np.asarray(thresholds, np.float64)
    K, M, G = len(thr), len(order), len(g_vid)
    tp = np.zeros((K, M), dtype=bool)
    if M == 0 or G == 0:
        return tp
    codes: Dict = {}
    g_code = np.array([codes.setdefault(v, len(codes)) for v in g_vid], dtype=np.int64)
    V = len(codes)  # code V: a video without GT of the class
    p_code = np.array([codes.get(v, V) for v in np.asarray(p_vid, dtype=object)[order]], dtype=np.int64)

    def by_video(c):  # stable grouping by video: (permutation, rank inside the video)
        perm = np.argsort(c, kind='stable')
        first = np.concatenate([[0], np.cumsum(np.bincount(c, minlength=V + 1))[:-1]])
        rank = np.empty(len(c), dtype=np.int64)
        rank[perm] = np.arange(len(c)) - first[c[perm]]
        return perm, rank

    g_perm, g_rank = by_video(g_code)
    table = np.full((V + 1, int(g_rank.max()) + 1), -1, dtype=np.int64)  # GT of each video in stored order
    table[g_code[g_perm], g_rank[g_perm]] = g_perm
    cand = table[p_code]  # (M, Gmax) candidate GT of each prediction, -1 padded
    valid = cand >= 0
    seg = np.asarray(p_seg, np.float64)[order]
    gs = np.asarray(g_seg, np.float64)[np.maximum(cand, 0)]  # (M, Gmax, 2)
    inter = np.clip(np.minimum(seg[:, None, 1], gs[..., 1]) - np.maximum(seg[:, None, 0], gs[..., 0]), 0, None)
    union = np.clip(seg[:, 1] - seg[:, 0], 0, None)[:, None] + np.clip(gs[..., 1] - gs[..., 0], 0, None) - inter
    iou = np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)
    _, p_rank = by_video(p_code)
    locked = np.zeros((K, G + 1), dtype=bool)  # column G: the padding, never matched
    for r in range(int(p_rank.max()) + 1):
        sel = np.flatnonzero(p_rank == r)  # at most one prediction per video: no two compete for a GT
        c = np.where(valid[sel], cand[sel], G)  # (n, Gmax)
        ok = (iou[sel][None] >= thr[:, None, None]) & valid[sel][None] & ~locked[:, c]  # (K, n, Gmax)
        if protocol == 'legacy':
            pick = ok.argmax(axis=2)  # first fit in stored order
        else:
            pick = np.where(ok, iou[sel][None], -1.0).argmax(axis=2)  # best tIoU, ties → first
        hit = np.take_along_axis(ok, pick[..., None], axis=2)[..., 0]  # (K, n)
        tp[:, sel] = hit
        k, n = np.nonzero(hit)
        locked[k, c[n, pick[k, n]]] = True
    return tp


def _ambiguous_mask(vid, seg, ambiguous, protocol, rate):
    """True for predictions overlapping (intersection > 0) an ambiguous segment of their video."""
    drop = np.zeros(len(vid), dtype=bool)
    for v, amb in ambiguous.items():
        idx = np.flatnonzero(vid == v)
        amb = np.asarray(amb, np.float64).reshape(-1, 2)
        if idx.size == 0 or amb.size == 0:
            continue
        amb = to_snippets(amb, rate) if protocol == 'legacy' else amb
        inter = np.minimum(seg[idx, None, 1], amb[None, :, 1]) - np.maximum(seg[idx, None, 0], amb[None, :, 0])
        drop[idx] = (inter > 0).any(axis=1)
    return drop


def _flatten(table: Mapping, with_scores: bool):
    vids, segs, labels, scores = [], [], [], []
    for v, item in table.items():
        seg = np.asarray(item.get('segments', []), np.float64).reshape(-1, 2)
        lab = list(np.asarray(item.get('labels', [])).reshape(-1).tolist())
        if len(lab) != len(seg):
            raise ValueError(f'video {v!r}: {len(seg)} segments but {len(lab)} labels')
        sc = np.asarray(item.get('scores', np.zeros(len(seg))), np.float64).reshape(-1)
        if with_scores and len(sc) != len(seg):
            raise ValueError(f'video {v!r}: {len(seg)} segments but {len(sc)} scores')
        vids += [v] * len(seg)
        segs.append(seg)
        labels += lab
        scores.append(sc)
    seg = np.concatenate(segs) if segs else np.zeros((0, 2))
    vid = np.empty(len(vids), dtype=object)
    vid[:] = vids
    return vid, seg, np.asarray(labels, dtype=object), (np.concatenate(scores) if scores else np.zeros(0))


def _prepare(gt: Mapping, preds: Mapping, protocol: str, ambiguous: Optional[Mapping], snippet_rate: float):
    """Flatten GT and predictions and apply the protocol's units and filters (legacy: snippet units, only videos
    with GT; both: ambiguous filtering)."""
    if protocol not in PROTOCOLS:
        raise ValueError(f'protocol must be one of {PROTOCOLS}, got {protocol!r}')
    g_vid, g_seg, g_lab, _ = _flatten(gt, False)
    p_vid, p_seg, p_lab, p_score = _flatten(preds, True)
    if protocol == 'legacy':
        g_seg, p_seg = to_snippets(g_seg, snippet_rate), to_snippets(p_seg, snippet_rate)
        keep = np.isin(p_vid, np.unique(g_vid)) if len(g_vid) else np.zeros(len(p_vid), bool)
        p_vid, p_seg, p_lab, p_score = p_vid[keep], p_seg[keep], p_lab[keep], p_score[keep]
    if ambiguous:
        keep = ~_ambiguous_mask(p_vid, p_seg, ambiguous, protocol, snippet_rate)
        p_vid, p_seg, p_lab, p_score = p_vid[keep], p_seg[keep], p_lab[keep], p_score[keep]
    return (g_vid, g_seg, g_lab), (p_vid, p_seg, p_lab, p_score)


def evaluate_detection(gt: Mapping, preds: Mapping, iou_thresholds: Sequence[float] = IOU_SETS['0.1:0.7'],
                       protocol: str = 'activitynet', ambiguous: Optional[Mapping] = None,
                       classes: Optional[Sequence] = None, snippet_rate: float = SNIPPET_RATE,
                       zero_later_classes_bug: bool = False) -> dict:
    """Per-class AP and mAP at several IoU thresholds.

    Args:
        gt (Mapping): ground truth per video (see the module docstring); a video with no segments
            still counts as evaluated (``activitynet``: its predictions are FP).
        preds (Mapping): predictions per video.
        iou_thresholds (sequence): IoU thresholds.
        protocol (str): 'legacy' or 'activitynet'.
        ambiguous (Mapping, optional): ambiguous segments per video (seconds); predictions of any class
            that overlap one are removed before matching. None: no filtering.
        classes (sequence, optional): evaluation order of the class labels (matters only for the
            legacy bug); default sorted labels with GT. Classes without GT are skipped.
        snippet_rate (float): snippets per second for ``legacy`` (25/16).
        zero_later_classes_bug (bool): legacy only; reproduce the official num_c bug.

    Returns:
        dict: ``classes`` (list), ``ap`` (K, C) in [0, 1], ``mAP`` (K,) in percent, ``iou_thresholds``,
        ``num_gt``, ``num_pred`` (after filtering).
    """
    (g_vid, g_seg, g_lab), (p_vid, p_seg, p_lab, p_score) = _prepare(gt, preds, protocol, ambiguous, snippet_rate)
    with_gt = set(g_lab.tolist())
    order = list(classes) if classes is not None else sorted(with_gt)
    order = [c for c in order if c in with_gt]
    ap = np.zeros((len(iou_thresholds), len(order)))
    dead = False
    for ci, c in enumerate(order):
        pm, gm = p_lab == c, g_lab == c
        if not pm.any():
            dead = dead or (zero_later_classes_bug and protocol == 'legacy')
            continue
        if dead:
            continue
        tp = _match_class(p_vid[pm], p_seg[pm], p_score[pm], g_vid[gm], g_seg[gm], iou_thresholds, protocol)
        tp_c = np.cumsum(tp, axis=1)
        fp_c = np.cumsum(~tp, axis=1)
        for k in range(len(iou_thresholds)):
            if tp_c[k, -1] > 0:
                ap[k, ci] = interpolated_ap(tp_c[k] / (tp_c[k] + fp_c[k]), tp_c[k] / gm.sum())
    mAP = 100 * ap.mean(axis=1) if order else np.zeros(len(iou_thresholds))
    return dict(classes=order, ap=ap, mAP=mAP, iou_thresholds=list(iou_thresholds), num_gt=len(g_vid),
                num_pred=len(p_vid))


def summarize(result: dict, average_sets: Optional[Mapping[str, Sequence[float]]] = None) -> Dict[str, float]:
    """Flat dict ``{'mAP@0.10': ..., 'avg': ..., 'avg@0.1:0.5': ...}`` (percent) of an evaluation.

    ``avg`` is the mean over all evaluated thresholds; each ``avg@NAME`` the mean over the thresholds of
    ``average_sets[NAME]`` (default: the sets of :data:`IOU_SETS` that were all evaluated).
    """
    ious = [round(float(t), 4) for t in result['iou_thresholds']]
    out = {f'mAP@{t:.2f}': float(m) for t, m in zip(ious, result['mAP'])}
    out['avg'] = float(np.mean(result['mAP'])) if ious else 0.0
    for name, ts in (average_sets or IOU_SETS).items():
        ts = [round(float(t), 4) for t in ts]
        if ts and all(t in ious for t in ts):
            out[f'avg@{name}'] = float(np.mean([result['mAP'][ious.index(t)] for t in ts]))
    return out


def detection_f1(gt: Mapping, preds: Mapping, iou_threshold: float = 0.5, protocol: str = 'activitynet',
                 ambiguous: Optional[Mapping] = None, snippet_rate: float = SNIPPET_RATE) -> Dict[str, float]:
    """Micro-averaged precision, recall and F1 of the final detections at one IoU threshold (D2-Net Table 3).

    Detections are matched to GT exactly as :func:`evaluate_detection` does under ``protocol`` (units, first-fit
    or best-tIoU matching, ambiguous filtering, legacy ignores videos without GT). TP = matched detections,
    FP = all other detections (those of classes without GT included), FN = GT segments left unmatched.

    Returns:
        dict: ``tp``, ``fp``, ``fn`` (counts), ``precision``, ``recall``, ``f1`` (fractions; 0 when undefined).
    """
    (g_vid, g_seg, g_lab), (p_vid, p_seg, p_lab, p_score) = _prepare(gt, preds, protocol, ambiguous, snippet_rate)
    tp = 0
    for c in set(g_lab.tolist()):
        pm, gm = p_lab == c, g_lab == c
        if pm.any():
            tp += int(_match_class(p_vid[pm], p_seg[pm], p_score[pm], g_vid[gm], g_seg[gm], [iou_threshold],
                                   protocol).sum())
    fp, fn = len(p_vid) - tp, len(g_vid) - tp
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return dict(tp=tp, fp=fp, fn=fn, precision=precision, recall=recall, f1=f1)
