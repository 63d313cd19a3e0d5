"""MMEngine datasets over W-TALC features: generic, THUMOS14 (20 classes) and ActivityNet1.2 (100).

Each item: ``features`` (T, 2048) float32 plus ``video_name``, ``subset``, ``num_snippets``,
``duration`` (s), ``gt_label`` (class indices of the video), ``gt_segments`` (N, 2) seconds,
``gt_labels`` (N,), ``ambiguous_segments`` (A, 2) seconds.
"""
import os.path as osp
from typing import List, Optional

import numpy as np
from mmengine.dataset import BaseDataset

from wsl.registry import DATASETS
from ..metrics.anet_json import load_ambiguous
from .classes import ACTIVITYNET12_CLASSES, THUMOS14_CLASSES
from .wtalc_format import load_annotations, load_features, load_test_gt_segments


@DATASETS.register_module()
class WTALCDataset(BaseDataset):
    """A W-TALC feature set split by the ``subset`` annotation.

    Args:
        data_root (str): folder holding the feature file and the annotation folder.
        feature_file (str): ``<Dataset>-I3D-JOINTFeatures.npy`` (relative to data_root).
        ann_dir (str): ``<Dataset>-Annotations`` (relative to data_root).
        split (str): 'train' or 'test'.
        subsets (dict): subset string of each split (THUMOS: validation = train, test = eval).
        gt_source (str): 'segments' (segments.npy) or 'test_gt_segments' (THUMOS' official 3234-GT
            test set that D2-Net evaluates on; used for the test split only).
        ambiguous_file (str, optional): ambiguous segments (relative to ann_dir); missing → none.
        video_labels (str): video labels from 'labels_all' (official) or from the GT 'segments'.
        min_valid_snippets (int): drop videos with fewer non-zero snippets (ActivityNet: 6, i.e. the
            official removal of videos with <= 5).
        feature_dim (int): expected feature columns.
        **kwargs: ``BaseDataset`` arguments (pipeline, test_mode, indices, ...).
    """
    METAINFO = dict(classes=None)

    def __init__(self, data_root: str, feature_file: str, ann_dir: str, split: str = 'train',
                 subsets: Optional[dict] = None, gt_source: str = 'segments',
                 ambiguous_file: Optional[str] = None, video_labels: str = 'labels_all',
                 min_valid_snippets: int = 0, feature_dim: int = 2048, **kwargs) -> None:
        self.subsets = dict(subsets or dict(train='validation', test='test'))
        if split not in self.subsets:
            raise ValueError(f'split must be one of {sorted(self.subsets)}, got {split!r}')
        if gt_source not in ('segments', 'test_gt_segments'):
            raise ValueError(f"gt_source must be 'segments' or 'test_gt_segments', got {gt_source!r}")
        if video_labels not in ('labels_all', 'segments'):
            raise ValueError(f"video_labels must be 'labels_all' or 'segments', got {video_labels!r}")
        self.split, self.gt_source, self.video_labels = split, gt_source, video_labels
        self.feature_path = osp.join(data_root, feature_file)
        self.ann_path = osp.join(data_root, ann_dir)
        self.ambiguous_file = ambiguous_file
        self.min_valid_snippets, self.feature_dim = min_valid_snippets, feature_dim
        self._features: List[np.ndarray] = []
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read features and annotations; one dict per video of the split."""
        feats = load_features(self.feature_path, self.feature_dim)
        ann = load_annotations(self.ann_path)
        if len(feats) != len(ann['videoname']):
            raise ValueError(f'{self.feature_path}: {len(feats)} videos, but {self.ann_path}/videoname.npy '
                             f'lists {len(ann["videoname"])}')
        classes = ann['classlist']
        expect = self._metainfo.get('classes')
        if expect is not None and list(expect) != list(classes):
            raise ValueError(f'{self.ann_path}/classlist.npy has {len(classes)} classes that differ from the '
                             f'{len(expect)} this dataset expects (Thumos14 vs Thumos14reduced annotations?)')
        self._metainfo['classes'] = tuple(classes)
        index = {c: i for i, c in enumerate(classes)}

        def to_idx(names, field, vid):
            bad = [n for n in names if n not in index]
            if bad:
                raise ValueError(f'{self.ann_path}/{field}.npy: video {vid} has unknown label(s) {bad}')
            return [index[n] for n in names]

        want = self.subsets[self.split]
        chosen = [i for i, s in enumerate(ann['subset']) if s == want]
        test_gt = None
        if self.gt_source == 'test_gt_segments' and self.split == 'test':
            test_gt = load_test_gt_segments(osp.join(self.ann_path, 'test_gt_segments.npy'),
                                            [ann['videoname'][i] for i in chosen],
                                            [ann['duration'][i] for i in chosen], len(classes))
        amb_path = osp.join(self.ann_path, self.ambiguous_file) if self.ambiguous_file else None
        ambiguous = load_ambiguous(amb_path) if amb_path and osp.isfile(amb_path) else {}
        self._features = feats
        data_list = []
        for i in chosen:
            vid = ann['videoname'][i]
            valid = int((np.abs(feats[i]).max(axis=1) > 0).sum()) if len(feats[i]) else 0
            if valid < self.min_valid_snippets:
                continue
            seg_labels = to_idx(ann['labels'][i], 'labels', vid)
            segments = ann['segments'][i]
            if test_gt is not None:
                rows = test_gt.get(vid, [])
                segments = np.asarray([r[:2] for r in rows], np.float64).reshape(-1, 2)
                seg_labels = [r[2] for r in rows]
            video_label = (to_idx(ann['labels_all'][i], 'labels_all', vid) if self.video_labels == 'labels_all'
                           else sorted(set(to_idx(ann['labels'][i], 'labels', vid))))
            data_list.append(dict(
                video_idx=i, video_name=vid, subset=ann['subset'][i], num_snippets=len(feats[i]),
                duration=float(ann['duration'][i]), gt_label=video_label, gt_segments=segments,
                gt_labels=np.asarray(seg_labels, np.int64), ambiguous_segments=ambiguous.get(vid, np.zeros((0, 2)))))
        return data_list

    def video_features(self, idx: int) -> np.ndarray:
        """(T, feature_dim) features of the ``idx``-th video of this split (un-cropped)."""
        return self._features[self.get_data_info(idx)['video_idx']]

    def prepare_data(self, idx: int):
        """The video's info with its ``features`` (T, feature_dim), passed through the pipeline."""
        info = self.get_data_info(idx)
        info['features'] = self._features[info['video_idx']]
        return self.pipeline(info)


@DATASETS.register_module()
class Thumos14WTALCDataset(WTALCDataset):
    """THUMOS14 (reduced, 20 classes): validation videos train, test videos evaluate."""
    METAINFO = dict(classes=THUMOS14_CLASSES)

    def __init__(self, data_root: str, feature_file: str = 'Thumos14reduced-I3D-JOINTFeatures.npy',
                 ann_dir: str = 'Thumos14reduced-Annotations', split: str = 'train',
                 ambiguous_file: Optional[str] = 'Ambiguous_test.txt', **kwargs) -> None:
        kwargs.setdefault('subsets', dict(train='validation', test='test'))
        super().__init__(data_root, feature_file, ann_dir, split, ambiguous_file=ambiguous_file, **kwargs)


@DATASETS.register_module()
class ActivityNet12WTALCDataset(WTALCDataset):
    """ActivityNet1.2 (100 classes): training videos train, validation videos evaluate."""
    METAINFO = dict(classes=ACTIVITYNET12_CLASSES)

    def __init__(self, data_root: str, feature_file: str = 'ActivityNet1.2-I3D-JOINTFeatures.npy',
                 ann_dir: str = 'ActivityNet1.2-Annotations', split: str = 'train', **kwargs) -> None:
        kwargs.setdefault('subsets', dict(train='training', test='validation'))
        kwargs.setdefault('min_valid_snippets', 6)
        super().__init__(data_root, feature_file, ann_dir, split, **kwargs)
