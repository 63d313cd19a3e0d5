"""NeFeS (CVPR 2024): neural feature synthesis and test-time refinement of absolute pose regression.

Importing this package registers in the ``wsl`` registries its models (``NeFeS``, ``NeFeSModel``,
``NeFeSField``, ``NeFeSGridField``, ``NeFeSAPRModel``, ``NeFeSExposureACT``, ``NeFeSFusionCNN``, ``DFNet``,
``PoseNetResNetAPR``), datasets
(``SevenScenesNeFeSDataset``, ``CambridgeLandmarksNeFeSDataset``), transforms (``LoadNeFeSImage``,
``LoadNeFeSMask``, ``PackNeFeSInputs``), hooks (``NeFeSProgressiveHook``, ``NeFeSFeatureCalibrationHook``) and metric
(``AbsolutePoseErrorMetric``).
"""
from .act import NeFeSExposureACT, affine_color_transform, luminance_histogram
from .apr_model import NeFeSAPRModel
from .calibration_hook import NeFeSFeatureCalibrationHook
from .cambridge import CambridgeLandmarksNeFeSDataset
from .dfnet import DFNet, PoseNetResNetAPR
from .encoding import NeFeSPositionalEncoding
from .field import NeFeSField
from .fusion import NeFeSFusionCNN
from .grid_field import NeFeSGridField
from .model import NeFeSModel
from .nefes import NeFeS
from .pose_error_metric import AbsolutePoseErrorMetric
from .pose_metric import average_scene_medians, evaluate_pose_files, pose_errors, summarize_pose_errors
from .refine import NeFeSPoseCorrection, NeFeSQueryRenderer, refine_apr_weights, refine_pose_direct
from .renderer import NeFeSRenderer
from .scene_frames import NEFES_SCENE_SETUPS, NeFeSSceneSetup
from .seven_scenes import SevenScenesNeFeSDataset
from .stage_hook import NeFeSProgressiveHook
from .transforms import LoadNeFeSImage, LoadNeFeSMask, PackNeFeSInputs

__all__ = [
    'NeFeS', 'NeFeSField', 'NeFeSExposureACT', 'NeFeSFusionCNN', 'NeFeSPositionalEncoding', 'NeFeSRenderer',
    'NeFeSPoseCorrection', 'NeFeSQueryRenderer', 'NeFeSSceneSetup', 'NEFES_SCENE_SETUPS', 'affine_color_transform',
    'luminance_histogram', 'refine_apr_weights', 'refine_pose_direct', 'pose_errors', 'summarize_pose_errors',
    'average_scene_medians', 'evaluate_pose_files', 'SevenScenesNeFeSDataset', 'CambridgeLandmarksNeFeSDataset',
    'LoadNeFeSImage', 'LoadNeFeSMask', 'PackNeFeSInputs', 'NeFeSModel', 'NeFeSProgressiveHook', 'DFNet',
    'PoseNetResNetAPR', 'AbsolutePoseErrorMetric', 'NeFeSAPRModel', 'NeFeSGridField', 'NeFeSFeatureCalibrationHook'
]
