"""Straightforward reference of D2-Net's inference post-processing and legacy mAP (official per-class loops).

A plain-Python port of naraysa/D2-Net @ 28b9e4f5 ``detectionMAP.py`` (``getDetections``, ``nms_apply``,
``getLocMAP``), line by line where the official code loops: a Python loop per class and threshold, run starts and
ends from a list of differences, ``np.mean`` over slices for the outer-inner contrast, and IoUs of Python ``set``s
of snippet indices. It is kept as the ground truth that the vectorized :mod:`wsl.temporal.postprocess` and
:mod:`wsl.temporal.metrics.detection_map` are compared against (``tests/temporal/test_temporal_postprocess.py``,
``wsl bench d2net-speed``), never used for results.

Differences from the official code, all needed for a deterministic comparison and none changing a detection:
* ties in NMS score are visited in input order (the official ``np.argsort`` + ``pop`` leaves the order of equal
  scores to the sort; with real-valued scores only duplicates of the same segment tie, and NMS keeps one of them);
* the function works on one video and returns its detections instead of building the per-class lists of the
  whole test set (the official ``predictions[i] * ind`` is replaced by skipping the unselected classes, which the
  official loop also does);
* the constants are arguments, with the code's values as defaults, like :func:`wsl.temporal.postprocess.localize`.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np

CODE_THRESHOLDS = tuple(j / 40 for j in range(1, 20))  # θ = 0.025 ... 0.475 (official thresh_list / 40)


def _set_iou(a: Sequence[int], b: Sequence[int]) -> float:
    """IoU of two snippet ranges as sets of indices (official ``len(set & set) / len(set | set)``)."""
    sa, sb = set(range(a[0], a[1])), set(range(b[0], b[1]))
    union = len(sa | sb)
    return len(sa & sb) / union if union else 0.0


def reference_nms(proposals: List[list], iou_thr: float = 0.3) -> List[list]:
    """Greedy NMS of ``[s, e, score]`` proposals, line by line the official ``nms_apply``: pop the best remaining
    proposal, keep it, delete every other one with set-IoU >= ``iou_thr``; returns the kept ones by descending
    score. Only the sort differs: equal scores are popped in input order (stable), where ``np.argsort`` leaves it
    to the sort."""
    proposals_new = []
    proposals_l = [p for p in proposals]
    score_l = np.array([p[2] for p in proposals_l])
    idx = np.argsort(-score_l, kind='stable')[::-1]  # ascending; among equal scores the first in input is last
    tmp = [proposals_l[i] for i in idx]
    while tmp:
        pop_t = tmp.pop()
        proposals_new.append(pop_t)
        p1 = range(pop_t[0], pop_t[1])
        rm = []
        for i in range(len(tmp)):
            p2 = range(tmp[i][0], tmp[i][1])
            union = len(set(p1).union(set(p2)))
            iou = float(len(set(p1).intersection(set(p2)))) / float(union) if union else 0.0
            rm.append(1 if iou >= iou_thr else 0)
        cur_id = len(rm) - 1
        while len(rm) > 0:
            if rm.pop() == 1:
                del tmp[cur_id]
            cur_id -= 1
    return proposals_new


def reference_class_scores(scores: np.ndarray, k_divisor: float = 8, rounding: str = 'floor') -> np.ndarray:
    """c_s as the official ``getDetections``: per class, the mean of the top max(1, int(T / k_divisor)) scores
    (ceil with ``rounding='ceil'``), from a column-wise sort of the negated scores."""
    prp = -np.array(scores, dtype=np.float64)
    [prp[:, i].sort() for i in range(np.shape(prp)[1])]
    prp = -prp
    k = np.shape(prp)[0] / k_divisor
    end_id = max(1, int(np.floor(k) if rounding == 'floor' else np.ceil(k)))
    return np.mean(prp[:end_id, :], axis=0)


def reference_select(cls_scores: np.ndarray, rule: str = 'half_max') -> List[int]:
    """Kept classes: THUMOS c_s > max/2 and c_s > 0; ActivityNet c_s > max(a, 3rd largest) (official)."""
    c_s = np.asarray(cls_scores, dtype=np.float64)
    if rule == 'half_max':
        ind = (c_s > np.max(c_s) / 2) * (c_s > 0)
    elif rule == 'top2':
        act_th = 1 if np.sum(c_s > 1) else 0.5
        third = c_s[np.argsort(c_s)[-3]] if len(c_s) >= 3 else -np.inf
        ind = c_s > max(act_th, third)
    else:
        raise ValueError(f"rule must be 'half_max' or 'top2', got {rule!r}")
    return [c for c in range(len(c_s)) if ind[c]]


def reference_proposals(x: np.ndarray, thresholds: Sequence[float] = CODE_THRESHOLDS, min_len: int = 2,
                        inflate: float = 0.25, contrast_thr: Optional[float] = 0.7) -> List[list]:
    """Proposals ``[s, e, score]`` of one class's 1-D scores (T,), line by line the official loop (threshold, then
    start): binarise, list the differences, take starts and ends, then the outer-inner contrast of each run."""
    tmp = np.asarray(x, dtype=np.float64)
    segment_predict_i = []
    for threshold in thresholds:
        vid_pred = np.concatenate([np.zeros(1), (tmp > threshold).astype('float32'), np.zeros(1)], axis=0)
        vid_pred_diff = [vid_pred[idt] - vid_pred[idt - 1] for idt in range(1, len(vid_pred))]
        s = [idk for idk, item in enumerate(vid_pred_diff) if item == 1]
        e = [idk for idk, item in enumerate(vid_pred_diff) if item == -1]
        for j in range(len(s)):
            if e[j] - s[j] >= min_len:
                lt = max(1, int((e[j] - s[j]) * inflate))
                outer_score = None
                if max(0, s[j] - lt) < s[j]:
                    outer_score = np.mean(tmp[max(0, s[j] - lt):s[j]])
                if min(e[j] + lt, len(tmp)) > e[j]:
                    if outer_score is None:
                        outer_score = np.mean(tmp[e[j]:min(e[j] + lt, len(tmp))])
                    else:
                        outer_score = (outer_score + np.mean(tmp[e[j]:min(e[j] + lt, len(tmp))])) / 2
                inner_score = np.mean(tmp[s[j]:e[j]])
                if outer_score is not None:
                    if contrast_thr is None or (outer_score - inner_score + 1) / 2 <= contrast_thr:
                        segment_predict_i.append([s[j], e[j], float(inner_score - outer_score)])
                else:
                    segment_predict_i.append([s[j], e[j], float(inner_score)])
    return segment_predict_i


def reference_localize(r: np.ndarray, select_scores: Optional[np.ndarray] = None,
                       thresholds: Sequence[float] = CODE_THRESHOLDS, min_len: int = 2, inflate: float = 0.25,
                       contrast_thr: Optional[float] = 0.7, nms_iou: float = 0.3, score_ratio: float = 0.1,
                       class_rule: str = 'half_max', k_divisor: float = 8,
                       k_rounding: str = 'floor') -> Dict[str, np.ndarray]:
    """Detections of one video, same arguments and output as :func:`wsl.temporal.postprocess.localize`.

    Args:
        r (ndarray): (T, C) refined scores r = λ'·T.
        select_scores (ndarray, optional): (T, C) scores for class selection (default ``r``).
        Others: see :func:`wsl.temporal.postprocess.localize`.

    Returns:
        dict: ``segments`` (N, 2) int64 [s, e) snippets, ``scores`` (N,), ``labels`` (N,) int64, by class
        (ascending), each by descending score.
    """
    r = np.asarray(r, dtype=np.float64)
    segs, scores, labels = [], [], []
    if r.ndim == 2 and r.shape[0] > 0:
        sel = r if select_scores is None else np.asarray(select_scores, dtype=np.float64)
        for c in reference_select(reference_class_scores(sel, k_divisor, k_rounding), class_rule):
            kept = reference_nms(reference_proposals(r[:, c], thresholds, min_len, inflate, contrast_thr), nms_iou)
            if kept:
                top = kept[0][2]
                for s, e, sc in kept:
                    if sc >= score_ratio * top:
                        segs.append([s, e]), scores.append(sc), labels.append(c)
    return dict(segments=np.asarray(segs, dtype=np.int64).reshape(-1, 2), scores=np.asarray(scores, np.float64),
                labels=np.asarray(labels, dtype=np.int64))


def same_detections(a: Dict[str, np.ndarray], b: Dict[str, np.ndarray], atol: float = 1e-9) -> bool:
    """Whether two detection dicts hold the same segments and labels in the same order, scores within ``atol``."""
    return (np.array_equal(np.asarray(a['segments']).reshape(-1, 2), np.asarray(b['segments']).reshape(-1, 2))
            and np.array_equal(np.asarray(a['labels']), np.asarray(b['labels']))
            and len(a['scores']) == len(b['scores'])
            and bool(np.all(np.abs(np.asarray(a['scores']) - np.asarray(b['scores'])) <= atol)))


def reference_legacy_ap(detections: List[list], gt: List[list], iou: float) -> float:
    """AP of one class by the official ``getLocMAP`` loop (legacy protocol, snippet units).

    Args:
        detections (list): ``[video, s, e, score]`` rows of the class (any order; sorted here by descending score,
            ties in input order).
        gt (list): ``[video, s, e]`` rows of the class, in stored order (first fit takes the first unmatched one).
        iou (float): IoU threshold (a match needs set-IoU >= iou).

    Returns:
        float: the all-point interpolated AP in [0, 1] (0 without a true positive).
    """
    dets = [detections[i] for i in sorted(range(len(detections)), key=lambda i: -detections[i][3])]
    remaining = [list(g) for g in gt]
    tp, fp = [], []
    for d in dets:
        flag = 0.0
        for j, g in enumerate(remaining):
            if g[0] == d[0] and _set_iou((int(g[1]), int(g[2])), (int(d[1]), int(d[2]))) >= iou:
                flag = 1.0
                del remaining[j]
                break
        tp.append(flag)
        fp.append(1.0 - flag)
    if sum(tp) == 0:
        return 0.0
    tp_c, fp_c = np.cumsum(tp), np.cumsum(fp)
    prec = list(tp_c / (tp_c + fp_c))
    rec = list(tp_c / len(gt))
    mprec = [0.0] + prec + [0.0]
    mrec = [0.0] + rec + [1.0]
    for i in range(len(mprec) - 2, -1, -1):
        mprec[i] = max(mprec[i], mprec[i + 1])
    return float(sum((mrec[i] - mrec[i - 1]) * mprec[i] for i in range(1, len(mrec)) if mrec[i] != mrec[i - 1]))


def reference_legacy_map(detections: Dict[str, Dict[str, np.ndarray]], gt: Dict[str, Dict[str, np.ndarray]],
                         iou_thresholds: Sequence[float]) -> List[float]:
    """Legacy mAP (percent) per IoU threshold, looping as ``getLocMAP`` (snippet units, classes with GT).

    Args:
        detections (dict): per video ``segments`` (N, 2) snippets, ``scores``, ``labels``.
        gt (dict): per video ``segments`` (G, 2) snippets and ``labels``; predictions of videos absent
            from ``gt`` or without GT are ignored (official: only videos with temporal annotations).

    Returns:
        list[float]: mAP × 100 per threshold (mean over classes that have GT).
    """
    videos = [v for v in gt if len(gt[v]['labels'])]
    classes = sorted({int(c) for v in videos for c in gt[v]['labels']})
    out = []
    for iou in iou_thresholds:
        aps = []
        for c in classes:
            dets = [[v, int(s), int(e), float(sc)] for v in videos if v in detections
                    for (s, e), sc, lab in zip(np.asarray(detections[v]['segments']).reshape(-1, 2),
                                               detections[v]['scores'], detections[v]['labels']) if int(lab) == c]
            g = [[v, int(s), int(e)] for v in videos
                 for (s, e), lab in zip(np.asarray(gt[v]['segments']).reshape(-1, 2), gt[v]['labels'])
                 if int(lab) == c]
            aps.append(reference_legacy_ap(dets, g, iou))
        out.append(100 * float(np.mean(aps)) if aps else 0.0)
    return out
