"""Every shipped config parses and builds its model; CPU-sized detection models run a loss step on a tiny batch.

Configs whose backbone loads pretrained weights (the paper-scale R101/X101 models) are built only: their
loss step costs tens of seconds on a CPU and the synthetic configs exercise the same code.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from wsl.registry import MODELS
from wsl.testing import REPO
from wsl.utils import register_all_modules

CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True) if '_base_' not in p)


def test_config_basenames_are_unique():
    # mim resolves configs by basename.
    names = [osp.basename(p) for p in CONFIGS]
    assert len(names) == len(set(names)) and names


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_config_builds(path):
    register_all_modules()
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'wsl'
    with DefaultScope.overwrite_default_scope('wsl'):
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    backbone_init = (cfg.model.get('backbone') or {}).get('init_cfg')
    if cfg.model.get('_scope_') == 'mmdet' and backbone_init is None:
        from mmdet.structures import DetDataSample
        from mmengine.structures import InstanceData
        torch.manual_seed(0)
        samples = []
        for _ in range(2):
            s = DetDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64),
                                            scale_factor=(1.0, 1.0), batch_input_shape=(64, 64)))
            s.gt_instances = InstanceData(bboxes=torch.tensor([[8.0, 8.0, 40.0, 36.0]]), labels=torch.tensor([1]))
            if (cfg.model.get('roi_head') or {}).get('mask_head') is not None:  # Mask R-CNN: a mask per box
                from mmdet.structures.mask import BitmapMasks
                mask = torch.zeros(1, 64, 64, dtype=torch.uint8)
                mask[0, 12:32, 12:36] = 1
                s.gt_instances.masks = BitmapMasks(mask.numpy(), 64, 64)
            samples.append(s)
        data = model.data_preprocessor(dict(inputs=[torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)] * 2,
                                            data_samples=samples), training=True)
        model.train()
        losses = model.loss(data['inputs'], data['data_samples'])
        total, _ = model.parse_losses(losses)
        assert torch.isfinite(total) and total > 0
        total.backward()
        assert model.backbone.conv1.weight.grad.abs().sum() > 0
