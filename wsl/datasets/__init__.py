from .domain_paired import DomainPairedDataset, DomainPairedSampler
from .image_labels import PackDetInputsWithImageLabels, WslImageLabelDataset
from .voc import DatasetFormatError, WslVOCDataset

__all__ = [
    'DatasetFormatError', 'DomainPairedDataset', 'DomainPairedSampler', 'PackDetInputsWithImageLabels',
    'WslImageLabelDataset', 'WslVOCDataset'
]
