"""BBAM pseudo labels: attribution maps → strict/loose instance masks, MCG-style refinement, box baselines,
COCO/PNG export and the Figure-5 visualisation (BBAM, CVPR 2021, §3.3 and the official ``make_annotation``)."""
from .baselines import (BOX_CRF_STARTS, GRABCUT_DEFAULTS, box_crf_masks, filled_box_masks, grabcut_config,
                        grabcut_mask, grabcut_masks)
from .bbam_maps import list_map_files, load_bbam_npz, load_meta, read_image, resolve_maps_dir
from .crf import CRF_DEFAULTS, ImageCRF, crf_config, crf_foreground, dense_crf
from .export import (IGNORE_INDEX, decode_rle, encode_rle, instances_to_coco, save_label_png, semantic_label_map,
                     write_json)
from .figure import bbam_figure
from .make_labels import make_labels_config, make_pseudo_labels, process_image
from .mcg import MCG_DEFAULTS, Proposals, find_mcg_file, load_mcg_mat, mcg_config, refine_masks
from .postprocess import (POSTPROCESS_DEFAULTS, blur_kernel_half_size, box_mask, postprocess_config,
                          postprocess_image, postprocess_instance, rank_threshold, zero_bbam_fallback)
from .superpixel_proposals import BUILTIN_PROPOSAL_DEFAULTS, builtin_proposal_config, builtin_proposals

__all__ = [
    'BOX_CRF_STARTS', 'GRABCUT_DEFAULTS', 'box_crf_masks', 'filled_box_masks', 'grabcut_config', 'grabcut_mask',
    'grabcut_masks', 'list_map_files', 'load_bbam_npz', 'load_meta', 'read_image', 'resolve_maps_dir',
    'CRF_DEFAULTS', 'ImageCRF', 'crf_config', 'crf_foreground', 'dense_crf', 'IGNORE_INDEX', 'decode_rle', 'encode_rle',
    'instances_to_coco', 'save_label_png',
    'semantic_label_map', 'write_json', 'bbam_figure', 'make_labels_config', 'make_pseudo_labels', 'process_image',
    'MCG_DEFAULTS', 'Proposals', 'find_mcg_file', 'load_mcg_mat', 'mcg_config', 'refine_masks',
    'POSTPROCESS_DEFAULTS', 'blur_kernel_half_size', 'box_mask', 'postprocess_config', 'postprocess_image',
    'postprocess_instance', 'rank_threshold', 'zero_bbam_fallback', 'BUILTIN_PROPOSAL_DEFAULTS',
    'builtin_proposal_config', 'builtin_proposals'
]
