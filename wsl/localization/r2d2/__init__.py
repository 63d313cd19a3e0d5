"""R2D2 (Revaud et al. 2019) and its context-aggregated variant (Hong et al. 2020): network, losses,
multi-scale extraction, checkpoint conversion, HPatches MMA evaluation and visual localization (pycolmap).

The pycolmap-based parts (Aachen I/O, triangulation, localization) are imported on first use, so that
registering the models does not load pycolmap (its glog signal handlers would print stack traces whenever a
data-loader worker is terminated).
"""
import importlib
from .ap_loss import average_precision, soft_bin_weights
from .context import ContextFusion, LocalGuidedModule, MultiScaleAggregation
from .context_model import R2D2Context
from .convert import convert_official_state_dict, convert_r2d2_checkpoint, load_official_checkpoint, load_r2d2_weights
from .extract import R2D2_EXTRACT_DEFAULTS, extract_multiscale, normalize_rgb, pyramid_levels, r2d2_nms
from .feature_files import extract_folder, list_images, load_features_npz, npz_feature_loader, save_features_npz
from .feature_sources import h5_feature_loader, open_feature_loader
from .flow_io import (flow_to_aflow, read_flo, read_flow, read_kitti_flow, read_mask, read_r2d2_flow_png, write_flo,
                      write_kitti_flow, write_r2d2_flow_png)
from .flow_pair_dataset import R2D2FlowPairDataset
from .flow_pairs import choose_windows, flow_local_scale, flow_pair_crop
from .homography import homography_aflow
from .hpatches import HPATCHES_HIGH_RES, list_hpatches_pairs, read_homography
from .hpatches_dataset import HPatchesPairDataset
from .hpatches_metric import HPatchesMMAMetric
from .matching import match_mutual_nn
from .mma import (MMA_THRESHOLDS, hpatches_mma, mutual_nn_match, pair_accuracy, project_homography, summarize_mma,
                  top_k_features)
from .model import R2D2, R2D2PairDataPreprocessor
from .net import R2D2Head, R2D2Net, R2D2Trunk
from .pair_dataset import R2D2SyntheticPairDataset
from .pose_accuracy import (AACHEN_THRESHOLDS, SEED_PAPER_THRESHOLDS, accuracy_fractions, accuracy_report,
                            pose_error)
from .reliability_loss import R2D2ReliabilityLoss, reliability_ap_loss
from .repeatability_loss import R2D2CosimLoss, R2D2PeakyLoss, aflow_to_grid, cosim_loss, peaky_loss
from .sampler import R2D2NghSampler, disk_offsets
from .semantic import HRNetSemanticBranch, load_hrnet_weights
from .sift import rootsift_features
from .still_pair_dataset import R2D2StillPairDataset
from .synthetic_pairs import color_jitter, local_scale, synthetic_pair, tilt_homography

__all__ = [
    'R2D2Trunk', 'R2D2Head', 'R2D2Net', 'R2D2CosimLoss', 'R2D2PeakyLoss', 'R2D2ReliabilityLoss', 'R2D2NghSampler',
    'aflow_to_grid', 'cosim_loss', 'peaky_loss', 'soft_bin_weights', 'average_precision', 'reliability_ap_loss',
    'disk_offsets', 'r2d2_nms', 'pyramid_levels', 'extract_multiscale', 'normalize_rgb', 'R2D2_EXTRACT_DEFAULTS',
    'load_official_checkpoint', 'convert_official_state_dict', 'convert_r2d2_checkpoint', 'load_r2d2_weights',
    'extract_folder', 'list_images', 'load_features_npz', 'npz_feature_loader', 'save_features_npz',
    'HPATCHES_HIGH_RES', 'list_hpatches_pairs', 'read_homography', 'MMA_THRESHOLDS', 'hpatches_mma',
    'mutual_nn_match', 'pair_accuracy', 'project_homography', 'R2D2', 'R2D2PairDataPreprocessor', 'homography_aflow',
    'R2D2Context', 'HRNetSemanticBranch', 'load_hrnet_weights', 'LocalGuidedModule', 'MultiScaleAggregation',
    'ContextFusion', 'R2D2SyntheticPairDataset', 'R2D2StillPairDataset', 'synthetic_pair', 'tilt_homography',
    'local_scale', 'color_jitter',
    'read_colmap_model', 'read_database_model', 'read_intrinsics_list', 'read_nvm', 'read_pairs', 'read_poses',
    'write_intrinsics_list', 'write_pairs', 'write_poses', 'h5_feature_loader', 'open_feature_loader',
    'LOCALIZATION_DEFAULTS', 'estimate_query_pose', 'localize', 'localize_from_files', 'match_mutual_nn',
    'AACHEN_THRESHOLDS', 'SEED_PAPER_THRESHOLDS', 'accuracy_fractions', 'accuracy_report', 'pose_error',
    'rootsift_features', 'SparseModel', 'build_tracks', 'triangulate_database', 'triangulate_tracks',
    'flow_to_aflow', 'read_flo', 'read_flow', 'read_kitti_flow', 'read_mask', 'read_r2d2_flow_png', 'write_flo',
    'write_kitti_flow', 'write_r2d2_flow_png', 'R2D2FlowPairDataset', 'choose_windows', 'flow_local_scale',
    'flow_pair_crop', 'HPatchesPairDataset', 'HPatchesMMAMetric', 'summarize_mma', 'top_k_features'
]

# name -> submodule, for the pycolmap-based names (PEP 562 lazy attributes).
_LAZY = {
    **dict.fromkeys(('read_colmap_model', 'read_database_model', 'read_intrinsics_list', 'read_nvm', 'read_pairs',
                     'read_poses', 'write_intrinsics_list', 'write_pairs', 'write_poses'), 'aachen'),
    **dict.fromkeys(('LOCALIZATION_DEFAULTS', 'estimate_query_pose', 'localize', 'localize_from_files'),
                    'localize_queries'),
    **dict.fromkeys(('SparseModel', 'build_tracks', 'triangulate_database', 'triangulate_tracks'), 'triangulation'),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    module = importlib.import_module(f'.{_LAZY[name]}', __name__)
    for key, mod_name in _LAZY.items():  # bind all names of that submodule
        if mod_name == _LAZY[name]:
            globals()[key] = getattr(module, key)
    return globals()[name]
