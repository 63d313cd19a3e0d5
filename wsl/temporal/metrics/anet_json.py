"""ActivityNet-format JSON files for temporal detection: ground truth, results, ambiguous segments.

Ground truth: ``{"database": {video: {"subset": str, "duration": float,
"annotations": [{"segment": [t0, t1], "label": str}, ...]}}}`` (seconds); an optional top-level
``"classes"`` list fixes the class order. Results: ``{"results": {video: [{"segment": [t0, t1],
"label": str, "score": float}, ...]}}``.
"""
import json
import os.path as osp
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np


def _read_json(path: str, key: str) -> dict:
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such file')
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        raise ValueError(f'{path}: expected a JSON object with a "{key}" object (ActivityNet format)')
    return data


def load_activitynet_gt(path: str, subset: Optional[str] = None) -> Tuple[Dict[str, dict], List[str]]:
    """Read ground truth; returns ``{video: {'segments': (N, 2), 'labels': [str]}}`` and the class order.

    Args:
        path (str): the JSON file.
        subset (str, optional): keep only videos whose ``subset`` equals this; None keeps all.
    """
    data = _read_json(path, 'database')
    gt, order = {}, list(data.get('classes', []))
    for vid, item in data['database'].items():
        if subset is not None and item.get('subset') != subset:
            continue
        segs, labels = [], []
        for j, ann in enumerate(item.get('annotations', [])):
            if 'segment' not in ann or 'label' not in ann or len(ann['segment']) != 2:
                raise ValueError(f'{path}: database/{vid}/annotations[{j}] needs "segment" [t0, t1] and "label"')
            segs.append([float(ann['segment'][0]), float(ann['segment'][1])])
            labels.append(str(ann['label']))
            if labels[-1] not in order:
                order.append(labels[-1])
        gt[vid] = dict(segments=np.asarray(segs, np.float64).reshape(-1, 2), labels=labels)
    if not gt:
        raise ValueError(f'{path}: no video left in the database' + (f' for subset {subset!r}' if subset else ''))
    return gt, order


def load_activitynet_results(path: str) -> Dict[str, dict]:
    """Read results; returns ``{video: {'segments': (M, 2), 'labels': [str], 'scores': (M,)}}``."""
    data = _read_json(path, 'results')
    preds = {}
    for vid, items in data['results'].items():
        segs, labels, scores = [], [], []
        for j, r in enumerate(items):
            if not all(k in r for k in ('segment', 'label', 'score')):
                raise ValueError(f'{path}: results/{vid}[{j}] needs "segment", "label" and "score"')
            segs.append([float(r['segment'][0]), float(r['segment'][1])])
            labels.append(str(r['label']))
            scores.append(float(r['score']))
        preds[vid] = dict(segments=np.asarray(segs, np.float64).reshape(-1, 2), labels=labels,
                          scores=np.asarray(scores, np.float64))
    return preds


def dump_activitynet_results(preds: Mapping[str, dict], path: str, class_names: Optional[List[str]] = None) -> None:
    """Write ``{video: {'segments', 'labels', 'scores'}}`` (seconds) as an ActivityNet results file.

    Integer labels are mapped through ``class_names`` when given.
    """
    out = {}
    for vid, p in preds.items():
        segs = np.asarray(p['segments'], np.float64).reshape(-1, 2)
        out[vid] = [dict(segment=[float(s), float(e)],
                         label=class_names[int(lab)] if class_names is not None else str(lab), score=float(sc))
                    for (s, e), lab, sc in zip(segs, p['labels'], p['scores'])]
    with open(path, 'w') as f:
        json.dump(dict(version='wsl', results=out, external_data={}), f)


def dump_activitynet_gt(gt: Mapping[str, dict], path: str, class_names: Optional[List[str]] = None,
                        subset: str = 'test', durations: Optional[Mapping[str, float]] = None) -> None:
    """Write ``{video: {'segments', 'labels'}}`` (seconds) as ActivityNet ground truth.

    The top-level ``classes`` list is ``class_names`` (so :func:`load_activitynet_gt` restores the class order);
    integer labels are mapped through it. ``durations`` (seconds per video) is written when given.
    """
    database = {}
    for vid, g in gt.items():
        segs = np.asarray(g['segments'], np.float64).reshape(-1, 2)
        item = dict(subset=subset, annotations=[
            dict(segment=[float(s), float(e)], label=class_names[int(lab)] if class_names is not None else str(lab))
            for (s, e), lab in zip(segs, g['labels'])])
        if durations is not None and vid in durations:
            item['duration'] = float(durations[vid])
        database[vid] = item
    out = dict(version='wsl', database=database)
    if class_names is not None:
        out['classes'] = [str(c) for c in class_names]
    with open(path, 'w') as f:
        json.dump(out, f)


def load_ambiguous(path: str) -> Dict[str, np.ndarray]:
    """Ambiguous segments (seconds) per video from THUMOS' ``Ambiguous_test.txt`` or a JSON mapping.

    The text format has lines ``video_test_0000004  start end``; fields are split on any whitespace
    (the official code splits on single spaces and relies on the double space).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such file')
    if path.endswith('.json'):
        with open(path) as f:
            return {k: np.asarray(v, np.float64).reshape(-1, 2) for k, v in json.load(f).items()}
    amb: Dict[str, list] = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 3:
                raise ValueError(f'{path}:{n}: expected "video start end", got {line.strip()!r}')
            amb.setdefault(fields[0], []).append([float(fields[1]), float(fields[2])])
    return {k: np.asarray(v, np.float64) for k, v in amb.items()}
