"""Temporal datasets: the W-TALC feature format, THUMOS14 and ActivityNet1.2."""
from .classes import ACTIVITYNET12_CLASSES, THUMOS14_CLASSES
from .transforms import PackTemporalInputs, RandomSnippetCrop
from .wtalc_dataset import ActivityNet12WTALCDataset, Thumos14WTALCDataset, WTALCDataset
from .wtalc_format import decode, load_annotations, load_features, load_test_gt_segments

__all__ = [
    'ACTIVITYNET12_CLASSES', 'THUMOS14_CLASSES', 'WTALCDataset', 'Thumos14WTALCDataset', 'ActivityNet12WTALCDataset',
    'decode', 'load_annotations', 'load_features', 'load_test_gt_segments', 'PackTemporalInputs', 'RandomSnippetCrop'
]
