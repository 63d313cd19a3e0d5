"""A synthetic weakly supervised temporal action localization set written in the W-TALC format.

Each video is a sequence of snippet features (T, 2048) = [RGB 1024 | flow 1024], like I3D features:
non-negative, a per-video scene plus a small per-snippet noise, and action instances that add their class
direction with soft boundaries. Difficulty comes from snippet noise, intra-class variation, class-specific context in
the whole video (background that predicts the class), a weaker signal in the RGB or flow half for some
instances, "look-alike" context right before/after actions (a partial action signal, listed as
ambiguous), several instances per video and multi-label videos.

Files written, as W-TALC / D2-Net read them:
* ``<name>-I3D-JOINTFeatures.npy``: a pickled object array of float32 (T_i, 2048) arrays, pickled the way
  Python 2 did (protocol 2, str as 8-bit strings) so that it needs ``encoding='bytes'``;
* ``<name>-Annotations/``: ``videoname``, ``subset``, ``classlist`` (bytes arrays), ``labels_all``,
  ``labels``, ``segments`` (object arrays; seconds), ``duration`` ((N, 1) seconds) ``.npy`` files and
  ``Ambiguous_test.txt`` (look-alike stretches of test videos, ``video  start end`` lines).
Everything is deterministic given ``seed``.

Generator version 2 (:data:`GENERATOR_VERSION`): consecutive I3D snippets of the same content are nearly
identical, so the per-snippet noise is small next to the scene and the actions (defaults: noise 0.25 per
dimension, action 64 and context 16 noise units, i.e. |action| = 16, |context| = 4, |noise| = 0.25·√d against
|scene| ≈ 1.1·√d). Version 1 drew noise as large as the scene itself (noise 1, action 8, context 2): there a
snippet's direction was mostly noise, the bottom-up attention λ' (a cosine to x_ref) could not tell actions from
background, and L_Dis sat for ~1000 iterations (lr 1e-4) with its TCAM at 0.5 (see ``docs/benchmarks.md``).
"""
import os
import os.path as osp
import pickle
from typing import List, Optional, Sequence

import numpy as np

SNIPPET_SECONDS = 16 / 25  # a 16-frame snippet at 25 fps
GENERATOR_VERSION = 2
_PY2_MODULES = {'numpy._core.multiarray': 'numpy.core.multiarray', 'numpy._core.numeric': 'numpy.core.numeric'}


class _Py2Pickler(pickle._Pickler):
    """Protocol-2 pickler that writes str/bytes as Python 2 8-bit strings and numpy 1.x module paths."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_string(self, obj) -> None:
        data = obj.encode('latin-1') if isinstance(obj, str) else bytes(obj)
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + len(data).to_bytes(4, 'little') + data)
        self.memoize(obj)

    dispatch[str] = save_py2_string
    dispatch[bytes] = save_py2_string

    def save_global(self, obj, name=None) -> None:
        name = name or obj.__qualname__
        module = pickle.whichmodule(obj, name)
        module = _PY2_MODULES.get(module, module)
        self.write(pickle.GLOBAL + module.encode() + b'\n' + name.encode() + b'\n')
        self.memoize(obj)


def save_py2_object_array(path: str, arrays: Sequence[np.ndarray]) -> None:
    """Write a 1-D object array of arrays as a ``.npy`` file pickled the way Python 2 numpy did."""
    obj = np.empty(len(arrays), dtype=object)
    for i, a in enumerate(arrays):
        obj[i] = np.ascontiguousarray(a)
    with open(path, 'wb') as f:
        np.lib.format.write_array_header_1_0(f, dict(descr='|O', fortran_order=False, shape=obj.shape))
        _Py2Pickler(f, protocol=2).dump(obj)


def _object_array(items: List) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    for i, x in enumerate(items):
        out[i] = x
    return out


def _place(rng, T: int, lengths: List[int], gap: int) -> Optional[List[int]]:
    """Random non-overlapping starts for segments of ``lengths`` with >= ``gap`` snippets between them."""
    free = T - sum(lengths) - gap * (len(lengths) + 1)
    if free < 0:
        return None
    cuts = np.sort(rng.integers(0, free + 1, size=len(lengths)))
    order = rng.permutation(len(lengths))
    starts, pos = [0] * len(lengths), gap
    for j, k in enumerate(order):
        starts[k] = pos + int(cuts[j])
        pos += lengths[k] + gap
    return starts


def _unit(rng, n: int, dim: int) -> np.ndarray:
    v = rng.normal(size=(n, dim))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def make_wtalc_synthetic(root: str, name: str = 'SyntheticTAL', num_classes: int = 5, num_train: int = 40,
                         num_test: int = 20, feat_dim: int = 2048, length_range=(60, 200),
                         instance_len_range=(6, 30), max_instances: int = 4, multi_label_prob: float = 0.2,
                         noise: float = 0.25, action_snr: float = 64.0, intra_class_std: float = 0.5,
                         context_snr: float = 16.0, lookalike_prob: float = 0.5, lookalike_strength: float = 0.5,
                         num_scenes: int = 6, seed: int = 0, subsets=('validation', 'test')) -> dict:
    """Write the synthetic set; returns the file paths and the ground truth.

    Signals are unit directions in feature space scaled by ``snr · noise``, so a single snippet's
    projection on its class direction has signal-to-noise ratio ``action_snr`` whatever ``feat_dim``.

    Args:
        root (str): output folder (created).
        name (str): dataset name prefix of the files.
        num_classes (int): action classes.
        num_train, num_test (int): videos in ``subsets[0]`` (train) and ``subsets[1]`` (eval).
        feat_dim (int): feature size (even; halves are the "RGB" and "flow" streams).
        length_range (tuple): min/max snippets per video (inclusive).
        instance_len_range (tuple): min/max snippets per action instance (inclusive).
        max_instances (int): instances per class per video are drawn in 1..max_instances.
        multi_label_prob (float): probability that a video holds two classes.
        noise (float): std of the per-snippet, per-dimension Gaussian noise.
        action_snr (float): strength of the class direction inside an instance, in noise units.
        intra_class_std (float): per-instance deviation from the class direction (relative norm).
        context_snr (float): strength of the class's context direction in *every* snippet of its videos
            (a pool for diving): evidence of the class outside the actions that misleads MIL classifiers.
        lookalike_prob (float): probability of look-alike context on each side of an instance.
        lookalike_strength (float): fraction of the action signal inside look-alike context (3 snippets).
        num_scenes (int): generic scene prototypes shared across videos (nuisance).
        seed (int): seed; the output is a pure function of the arguments.
        subsets (tuple): subset strings of train and eval videos (THUMOS: 'validation', 'test').

    Returns:
        dict: ``feature_file``, ``ann_dir``, ``classes`` and ``videos`` (name, subset, labels, segments,
        duration, ambiguous).
    """
    if feat_dim % 2:
        raise ValueError(f'feat_dim must be even (RGB | flow halves), got {feat_dim}')
    rng = np.random.default_rng(seed)
    half = feat_dim // 2
    classes = [f'Action{c:02d}' for c in range(num_classes)]
    actions = _unit(rng, num_classes, feat_dim)
    contexts = _unit(rng, num_classes, feat_dim)
    scenes = 1.0 + 0.5 * rng.normal(size=(num_scenes, feat_dim))  # positive, like pooled ReLU features
    feats, videos = [], []
    for i in range(num_train + num_test):
        subset = subsets[0] if i < num_train else subsets[1]
        n_cls = 2 if (num_classes > 1 and rng.random() < multi_label_prob) else 1
        vcls = sorted(rng.choice(num_classes, size=n_cls, replace=False).tolist())
        T = int(rng.integers(length_range[0], length_range[1] + 1))
        inst = [(c, int(rng.integers(instance_len_range[0], instance_len_range[1] + 1))) for c in vcls
                for _ in range(int(rng.integers(1, max_instances + 1)))]
        starts = _place(rng, T, [ln for _, ln in inst], gap=3)
        while starts is None and len(inst) > 1:  # too many instances for this length: drop the last
            inst = inst[:-1]
            vcls = sorted({c for c, _ in inst})
            starts = _place(rng, T, [ln for _, ln in inst], gap=3)
        if starts is None:
            raise ValueError(f'a video of {T} snippets cannot hold an instance of {inst[0][1]} snippets with '
                             'gaps of 3; raise length_range or lower instance_len_range')
        x = np.repeat((scenes[rng.integers(num_scenes)] + 0.2 * rng.normal(size=feat_dim))[None], T, axis=0)
        x += context_snr * noise * contexts[vcls[0]]
        amb = []
        for (c, ln), s in zip(inst, starts):
            direction = actions[c] + intra_class_std * _unit(rng, 1, feat_dim)[0]
            direction *= action_snr * noise / np.linalg.norm(direction)
            if rng.random() < 0.3:  # a weaker signal in one stream (stream complementarity)
                direction[(0 if rng.random() < 0.5 else half):][:half] *= 0.3
            ramp = np.minimum(1.0, np.minimum(np.arange(1, ln + 1), np.arange(ln, 0, -1)) / 2.0)
            x[s:s + ln] += ramp[:, None] * direction
            for lo, hi in ((max(0, s - 3), s), (s + ln, min(T, s + ln + 3))):
                if hi > lo and rng.random() < lookalike_prob:
                    x[lo:hi] += lookalike_strength * direction
                    amb.append((lo, hi))
        x = np.maximum(x + noise * rng.normal(size=x.shape), 0) + 1e-3  # non-negative, never an all-zero row
        feats.append(x.astype(np.float32))
        segs = [[s * SNIPPET_SECONDS, (s + ln) * SNIPPET_SECONDS] for (c, ln), s in zip(inst, starts)]
        videos.append(dict(name=f'video_{subset}_{i:07d}', subset=subset, labels=[classes[c] for c in vcls],
                           segment_labels=[classes[c] for c, _ in inst], segments=segs,
                           duration=T * SNIPPET_SECONDS + float(rng.uniform(0, SNIPPET_SECONDS)),
                           ambiguous=[(lo * SNIPPET_SECONDS, hi * SNIPPET_SECONDS) for lo, hi in amb]))
    return _write(root, name, classes, feats, videos, subsets[1])


def _write(root, name, classes, feats, videos, eval_subset) -> dict:
    ann = osp.join(root, f'{name}-Annotations')
    os.makedirs(ann, exist_ok=True)
    feature_file = osp.join(root, f'{name}-I3D-JOINTFeatures.npy')
    save_py2_object_array(feature_file, feats)
    np.save(osp.join(ann, 'videoname.npy'), np.array([v['name'].encode() for v in videos]))
    np.save(osp.join(ann, 'subset.npy'), np.array([v['subset'].encode() for v in videos]))
    np.save(osp.join(ann, 'classlist.npy'), np.array([c.encode() for c in classes]))
    np.save(osp.join(ann, 'labels_all.npy'), _object_array([list(v['labels']) for v in videos]), allow_pickle=True)
    np.save(osp.join(ann, 'labels.npy'), _object_array([list(v['segment_labels']) for v in videos]),
            allow_pickle=True)
    np.save(osp.join(ann, 'segments.npy'), _object_array([[list(s) for s in v['segments']] for v in videos]),
            allow_pickle=True)
    np.save(osp.join(ann, 'duration.npy'), np.array([[v['duration']] for v in videos]))
    with open(osp.join(ann, 'Ambiguous_test.txt'), 'w') as f:
        for v in videos:
            if v['subset'] == eval_subset:
                for s, e in v['ambiguous']:
                    f.write(f'{v["name"]}  {s:.2f} {e:.2f}\n')
    return dict(feature_file=feature_file, ann_dir=ann, classes=classes, videos=videos)


# The set the D2-Net synthetic configs and ``wsl bench d2net`` use (configs/_base_/datasets/d2net_synthetic-wtalc.py).
# 200 test videos (≈ 560 instances; 50 until the speed/ablation rework): with 50 the AP of one training run moved by
# ±1-2 points with the draw of the test videos alone. Videos are drawn one after the other, so the 100 training
# videos and the first 50 test videos are those of the 50-video set.
D2NET_SYNTHETIC = dict(name='SyntheticTAL', num_classes=6, num_train=100, num_test=200, feat_dim=256)


def main(argv=None) -> dict:
    """``python -m wsl.datasets.synthetic.wtalc OUT [--seed S]``: write the D2-Net synthetic set to OUT."""
    import argparse
    parser = argparse.ArgumentParser(description='Write the synthetic W-TALC-format set of the D2-Net configs.')
    parser.add_argument('out', help='output folder (e.g. data/d2net_synthetic)')
    parser.add_argument('--seed', type=int, default=0)
    for key in ('num_classes', 'num_train', 'num_test', 'feat_dim'):
        parser.add_argument('--' + key.replace('_', '-'), type=int, default=D2NET_SYNTHETIC[key])
    args = parser.parse_args(argv)
    out = make_wtalc_synthetic(args.out, name=D2NET_SYNTHETIC['name'], num_classes=args.num_classes,
                               num_train=args.num_train, num_test=args.num_test, feat_dim=args.feat_dim, seed=args.seed)
    print(f"wrote {len(out['videos'])} videos ({args.num_train} train / {args.num_test} test, "
          f"{args.num_classes} classes, {args.feat_dim}-d) to {args.out}")
    return out


if __name__ == '__main__':
    main()
