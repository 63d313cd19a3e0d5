"""The `wsl` registry tree: one node per MMEngine root, scope `wsl`, borrowed modules named explicitly."""
import mmengine.registry as mreg
import pytest
from mmengine.registry import DefaultScope

import wsl.registry as wreg
from wsl.utils import register_all_modules

ROOT_NODES = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'STRATEGIES', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS',
    'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS',
    'INFERENCERS', 'FUNCTIONS'
]


@pytest.mark.parametrize('node', ROOT_NODES)
def test_every_root_node_has_a_wsl_child(node):
    reg = getattr(wreg, node)
    assert reg.scope == 'wsl'
    assert reg.parent is getattr(mreg, node), f'{node} must hang directly under the MMEngine root'
    assert getattr(mreg, node).children['wsl'] is reg


def test_default_scope_and_own_modules():
    register_all_modules()
    assert DefaultScope.get_current_instance().scope_name == 'wsl'
    from wsl.datasets import WslVOCDataset
    from wsl.engine import ProgressBarHook
    assert wreg.DATASETS.get('WslVOCDataset') is WslVOCDataset
    assert wreg.HOOKS.get('ProgressBarHook') is ProgressBarHook


def test_borrowed_modules_need_their_scope():
    register_all_modules()
    from mmdet.evaluation import VOCMetric
    from mmdet.models.detectors import FasterRCNN
    # A prefixed name resolves in MMDetection's node ...
    assert wreg.METRICS.get('mmdet.VOCMetric') is VOCMetric
    assert wreg.MODELS.get('mmdet.FasterRCNN') is FasterRCNN
    # ... and the same name without a prefix is not silently found in another codebase.
    assert wreg.METRICS.get('VOCMetric') is None
    assert wreg.MODELS.get('FasterRCNN') is None


def test_same_name_in_mmcv_and_mmdet_resolves_without_ambiguity():
    register_all_modules()
    import mmcv.transforms
    import mmdet.datasets.transforms as mdt
    # Unprefixed `Resize` in a wsl config is MMCV's (root), `mmdet.Resize` is MMDetection's: different classes.
    assert wreg.TRANSFORMS.get('Resize') is mmcv.transforms.Resize
    assert wreg.TRANSFORMS.get('mmdet.Resize') is mdt.Resize
    assert mmcv.transforms.Resize is not mdt.Resize


def test_scope_key_builds_a_borrowed_composite():
    register_all_modules()
    cfg = dict(_scope_='mmdet', type='RetinaNet',
               backbone=dict(type='ResNet', depth=18, out_indices=(3, ), init_cfg=None),
               neck=None,
               bbox_head=dict(type='RetinaHead', num_classes=3, in_channels=512,
                              anchor_generator=dict(type='AnchorGenerator', octave_base_scale=4,
                                                    scales_per_octave=1, ratios=[1.0], strides=[32]),
                              bbox_coder=dict(type='DeltaXYWHBBoxCoder'),
                              loss_cls=dict(type='FocalLoss', use_sigmoid=True),
                              loss_bbox=dict(type='L1Loss'))),
    model = wreg.MODELS.build(cfg[0])
    assert type(model).__name__ == 'RetinaNet'
    assert model.bbox_head.num_classes == 3
    # The build does not leave the default scope changed.
    assert DefaultScope.get_current_instance().scope_name == 'wsl'
