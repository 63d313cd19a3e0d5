"""Detection datasets. Also imports the shared H²FA data pieces so the lazy registry finds them."""
from wsl.datasets import domain_paired, image_labels  # noqa: F401  (registers shared datasets/transforms)
from wsl.datasets.domain_paired import DomainPairedDataset, DomainPairedSampler
from wsl.datasets.image_labels import PackDetInputsWithImageLabels, WslImageLabelDataset
from .cross_domain_voc import CrossDomainVOCDataset

__all__ = ['CrossDomainVOCDataset', 'DomainPairedDataset', 'DomainPairedSampler', 'WslImageLabelDataset',
           'PackDetInputsWithImageLabels']
