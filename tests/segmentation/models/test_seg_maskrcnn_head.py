"""SeedGrowingMaskHead: strict + loose 28×28 targets of positive RoIs, the fallback, and a Mask R-CNN loss step built
from the shipped shapes config."""
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from wsl.registry import MODELS
from wsl.segmentation.datasets import PairedBitmapMasks
from wsl.testing import REPO
from wsl.utils import register_all_modules

CONFIG = osp.join(REPO, 'configs', 'bbam', 'bbam-maskrcnn_r18_fpn_1xb8-600it_shapes.py')


def _head(**loss):
    register_all_modules()
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(dict(type='wsl.SeedGrowingMaskHead', num_convs=1, in_channels=8, conv_out_channels=8,
                                 num_classes=3, loss_mask=dict(type='wsl.SeedGrowingMaskLoss', **loss)))


def _masks(paired=True):
    strict = np.zeros((1, 32, 32), np.uint8)
    strict[0, 8:24, 8:16] = 1  # left half of the box [8, 24) x [8, 24)
    loose = np.zeros((1, 32, 32), np.uint8)
    loose[0, 8:24, 8:20] = 1  # left three quarters
    return PairedBitmapMasks(strict, 32, 32, loose) if paired else BitmapMasks(strict, 32, 32)


def _sampling(n=1):
    return SimpleNamespace(pos_priors=torch.tensor([[8.0, 8.0, 24.0, 24.0]] * n),
                           pos_assigned_gt_inds=torch.zeros(n, dtype=torch.long),
                           pos_gt_labels=torch.full((n, ), 2, dtype=torch.long))


def test_paired_targets_are_the_strict_and_loose_masks_in_the_roi():
    head = _head()
    cfg = Config(dict(mask_size=28))
    strict, loose = head.get_paired_targets([_sampling()], [InstanceData(masks=_masks())], cfg)
    assert strict.shape == loose.shape == (1, 28, 28)
    # the RoI is the box: strict covers its left half, loose its left three quarters (RoIAlign + binarise)
    assert strict[0, :, :13].eq(1).all() and strict[0, :, 15:].eq(0).all()
    assert loose[0, :, :20].eq(1).all() and loose[0, :, 22:].eq(0).all()
    assert (loose >= strict).all()
    strict2, loose2 = head.get_paired_targets([_sampling()], [InstanceData(masks=_masks(paired=False))], cfg)
    assert loose2 is None and torch.equal(strict2, strict)


def test_loss_uses_the_target_class_logits_and_falls_back_per_batch():
    head = _head()
    calls = []
    head.loss_mask.forward = lambda logits, strict, loose: calls.append((logits, strict, loose)) or logits.sum() * 0
    preds = torch.randn(2, 3, 28, 28)
    cfg = Config(dict(mask_size=28))
    head.loss_and_target(preds, [_sampling(1), _sampling(1)], [InstanceData(masks=_masks()),
                                                              InstanceData(masks=_masks())], cfg)
    logits, strict, loose = calls[-1]
    assert torch.equal(logits, preds[:, 2]) and loose is not None and strict.shape == (2, 28, 28)
    # one image without loose masks: the official code falls back to strict-only for the whole batch
    head.loss_and_target(preds, [_sampling(1), _sampling(1)], [InstanceData(masks=_masks()),
                                                              InstanceData(masks=_masks(paired=False))], cfg)
    assert calls[-1][2] is None
    with pytest.raises(KeyError, match='LoadPairedAnnotations'):
        head.loss_and_target(preds, [_sampling(1)], [InstanceData(labels=torch.tensor([2]))], cfg)


def test_shapes_mask_rcnn_loss_step_trains_the_mask_head():
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    with DefaultScope.overwrite_default_scope('wsl'):
        model = MODELS.build(cfg.model)
    assert type(model.roi_head.mask_head).__name__ == 'SeedGrowingMaskHead'
    torch.manual_seed(0)
    samples = []
    for _ in range(2):
        s = DetDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64),
                                        scale_factor=(1.0, 1.0), batch_input_shape=(64, 64)))
        strict = np.zeros((1, 64, 64), np.uint8)
        strict[0, 12:32, 12:36] = 1
        loose = np.zeros((1, 64, 64), np.uint8)
        loose[0, 10:34, 10:38] = 1  # BG seeds inside the box, so both pixel sets are non-empty
        s.gt_instances = InstanceData(bboxes=torch.tensor([[8.0, 8.0, 40.0, 36.0]]), labels=torch.tensor([1]),
                                      masks=PairedBitmapMasks(strict, 64, 64, loose))
        samples.append(s)
    data = model.data_preprocessor(dict(inputs=[torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)] * 2,
                                        data_samples=samples), training=True)
    model.train()
    losses = model.loss(data['inputs'], data['data_samples'])
    assert torch.isfinite(losses['loss_mask']) and losses['loss_mask'] > 0
    total, _ = model.parse_losses(losses)
    total.backward()
    assert model.roi_head.mask_head.conv_logits.weight.grad.abs().sum() > 0
