"""Segmentation metrics (registered in ``wsl.registry.METRICS``): semantic mIoU, COCO mask AP (with AP25/AP70)
and ABO."""
from .abo import average_best_overlap, best_overlaps
from .mask_ap import REPORTED_IOUS, InstanceMaskAPMetric, coco_mask_ap, make_coco
from .sem_seg_iou import SemSegIoUMetric, confusion_matrix, iou_from_confusion, semantic_miou

__all__ = [
    'average_best_overlap', 'best_overlaps', 'REPORTED_IOUS', 'InstanceMaskAPMetric', 'coco_mask_ap', 'make_coco',
    'SemSegIoUMetric', 'confusion_matrix', 'iou_from_confusion', 'semantic_miou'
]
