"""Readers of the W-TALC feature format (used by W-TALC, 3C-Net, D2-Net and their successors).

* ``<Dataset>-I3D-JOINTFeatures.npy``: a pickled 1-D object array of float (T_i, 2048) arrays written
  by Python 2 (needs ``encoding='bytes'``), aligned with the annotation arrays.
* ``<Dataset>-Annotations/*.npy``: ``videoname``, ``subset``, ``labels_all`` (video labels),
  ``labels`` / ``segments`` (one label and one [start, end] in seconds per GT segment), ``classlist``,
  ``duration`` (seconds; (N, 1) on THUMOS). Strings may be bytes.
* THUMOS only: ``test_gt_segments.npy`` (per class: rows [7-digit video id, start_frac, end_frac],
  fractions of the duration; the 3234-segment set D2-Net evaluates on) and ``Ambiguous_test.txt``.
"""
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np

ANNOTATION_FILES = ('videoname', 'subset', 'labels_all', 'labels', 'segments', 'classlist', 'duration')


def decode(x):
    """bytes → str, recursively through lists, tuples and object/bytes arrays."""
    if isinstance(x, bytes):
        return x.decode('utf-8')
    if isinstance(x, np.ndarray) and x.dtype.kind in 'OSU':
        return [decode(v) for v in x.tolist()]
    if isinstance(x, (list, tuple)):
        return [decode(v) for v in x]
    if isinstance(x, np.str_):
        return str(x)
    return x


def load_features(path: str, feature_dim: int = 2048) -> List[np.ndarray]:
    """Load the joint RGB + flow features.

    Args:
        path (str): ``<Dataset>-I3D-JOINTFeatures.npy``.
        feature_dim (int): expected columns per snippet (2048 = 1024 RGB + 1024 flow).

    Returns:
        list[ndarray]: one float32 (T_i, feature_dim) array per video.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: feature file not found (expected the W-TALC '
                                f'"<Dataset>-I3D-JOINTFeatures.npy", a pickled object array)')
    arr = np.load(path, allow_pickle=True, encoding='bytes')
    if arr.ndim != 1 or arr.dtype != object:
        raise ValueError(f'{path}: expected a 1-D object array of (T, {feature_dim}) arrays, '
                         f'got dtype {arr.dtype} shape {arr.shape}')
    out = []
    for i, f in enumerate(arr):
        f = np.asarray(f)
        if f.ndim != 2 or f.shape[1] != feature_dim:
            raise ValueError(f'{path}: video {i} has features of shape {f.shape}, expected (T, {feature_dim})')
        out.append(f.astype(np.float32, copy=False))
    return out


def load_annotations(ann_dir: str) -> Dict[str, list]:
    """Load and decode the annotation ``.npy`` files; all per-video lists have the same length.

    Returns:
        dict: ``videoname``, ``subset`` (list[str]); ``labels_all``, ``labels`` (list[list[str]]);
        ``segments`` (list of (N_i, 2) float arrays, seconds); ``classlist`` (list[str]);
        ``duration`` (list[float], seconds).
    """
    if not osp.isdir(ann_dir):
        raise FileNotFoundError(f'{ann_dir}: annotation folder not found')
    missing = [n for n in ANNOTATION_FILES if not osp.isfile(osp.join(ann_dir, f'{n}.npy'))]
    if missing:
        raise FileNotFoundError(f'{ann_dir}: missing {", ".join(m + ".npy" for m in missing)}')
    raw = {n: np.load(osp.join(ann_dir, f'{n}.npy'), allow_pickle=True, encoding='bytes') for n in ANNOTATION_FILES}
    ann = {n: decode(raw[n]) for n in ('videoname', 'subset', 'classlist', 'labels_all', 'labels')}
    ann['labels_all'] = [[str(v) for v in x] for x in ann['labels_all']]
    ann['labels'] = [[str(v) for v in x] for x in ann['labels']]
    ann['segments'] = [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in raw['segments']]
    ann['duration'] = np.asarray(raw['duration'], dtype=np.float64).reshape(-1).tolist()
    n = len(ann['videoname'])
    for key in ANNOTATION_FILES:
        if key != 'classlist' and len(ann[key]) != n:
            raise ValueError(f'{osp.join(ann_dir, key + ".npy")}: {len(ann[key])} entries, but videoname.npy has {n}')
    for i, (labs, segs) in enumerate(zip(ann['labels'], ann['segments'])):
        if len(labs) != len(segs):
            raise ValueError(f'{ann_dir}: video {ann["videoname"][i]} has {len(segs)} segments in segments.npy '
                             f'but {len(labs)} labels in labels.npy')
    return ann


def load_test_gt_segments(path: str, videonames: Sequence[str], durations: Sequence[float],
                          num_classes: int = 20) -> Dict[str, List[tuple]]:
    """THUMOS' official test GT (``test_gt_segments.npy``) as ``{video: [(start_s, end_s, class)]}``.

    Row ids are the last 7 digits of ``video_test_XXXXXXX``; seconds = fraction · duration, which gives
    the official snippet bounds round(fraction · duration · 25/16) after conversion.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: not found (THUMOS14 official test GT, shipped with D2-Net)')
    arr = np.load(path, allow_pickle=True, encoding='bytes')
    if len(arr) != num_classes:
        raise ValueError(f'{path}: {len(arr)} per-class arrays, expected {num_classes}')
    by_id = {v[-7:]: (v, d) for v, d in zip(videonames, durations)}
    out: Dict[str, List[tuple]] = {}
    for c, rows in enumerate(arr):
        for row in np.asarray(rows, dtype=object).reshape(-1, 3):
            vid = str(decode(row[0])).strip()
            vid = vid.zfill(7) if vid.isdigit() else vid
            if vid not in by_id:
                raise ValueError(f'{path}: class {c} refers to unknown video id {vid!r}')
            name, dur = by_id[vid]
            out.setdefault(name, []).append((float(decode(row[1])) * dur, float(decode(row[2])) * dur, c))
    return out
