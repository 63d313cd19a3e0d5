"""BBAM (CVPR 2021): bounding-box attribution maps from a trained two-stage detector.

Importing this package registers ``BBAMLoss`` (MODELS), ``BBAMProposalSampler`` and ``BBAMOptimizer``
(TASK_UTILS). :func:`generate_bbam_maps` (``tools/bbam_generate.py``) writes one NPZ of maps per image;
``wsl.segmentation.pseudo_masks`` turns them into pseudo masks.
"""
from .generate import (NPZ_KEYS, build_bbam_optimizer, build_from_config, generate_bbam_maps, iter_bbam,
                       load_bbam_npz, make_record, parse_shard, plan_batches, run_bbam_batch, save_bbam_npz,
                       shard_indices)
from .jitter import BBAMProposalSampler, jitter_boxes, select_positives, truncated_box_iou
from .losses import BBAMLoss, gather_class_deltas, mask_sparsity, perturb_loss, target_class_prob, tv_norm
from .optimizer import BBAMObject, BBAMOptimizer, check_detector, freeze_detector, map_to_original
from .stride import (adaptive_stride, box_stride, boxes_to_mask_coords, init_mask_from_boxes, mask_shape,
                     upsample_mask)

__all__ = [
    'NPZ_KEYS', 'BBAMLoss', 'BBAMObject', 'BBAMOptimizer', 'BBAMProposalSampler', 'adaptive_stride', 'box_stride',
    'boxes_to_mask_coords', 'build_bbam_optimizer', 'build_from_config', 'check_detector', 'freeze_detector',
    'gather_class_deltas', 'generate_bbam_maps', 'init_mask_from_boxes', 'iter_bbam', 'jitter_boxes',
    'load_bbam_npz', 'make_record', 'map_to_original', 'mask_shape', 'mask_sparsity', 'parse_shard',
    'perturb_loss', 'plan_batches', 'run_bbam_batch', 'save_bbam_npz', 'select_positives', 'shard_indices',
    'target_class_prob', 'truncated_box_iou', 'tv_norm', 'upsample_mask'
]
