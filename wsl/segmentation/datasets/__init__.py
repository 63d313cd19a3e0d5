"""Datasets and transforms for BBAM's downstream training on pseudo labels (registered in ``wsl``):
strict + loose COCO pseudo masks paired per instance, and exact VOC instance masks as COCO ground truth."""
from .loading import LoadPairedAnnotations
from .paired_masks import PairedBitmapMasks
from .pseudo_mask_dataset import BBAMPseudoMaskDataset
from .voc_coco import VOC_CLASSES, read_split, voc_instances_to_coco, write_voc_instances_coco

__all__ = [
    'VOC_CLASSES', 'BBAMPseudoMaskDataset', 'LoadPairedAnnotations', 'PairedBitmapMasks', 'read_split',
    'voc_instances_to_coco', 'write_voc_instances_coco'
]
