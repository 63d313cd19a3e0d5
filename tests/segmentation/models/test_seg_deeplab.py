"""DeepLab-v2 head (sum of atrous classifiers) and the DSRG-style balanced cross-entropy."""
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from wsl.registry import MODELS
from wsl.segmentation.models import BalancedCrossEntropyLoss, DeepLabV2Head, balanced_cross_entropy
from wsl.testing import REPO
from wsl.utils import register_all_modules

CONFIG = osp.join(REPO, 'configs', 'bbam', 'bbam-deeplab_r18-d8_1xb8-600it_shapes.py')


def test_head_is_the_sum_of_its_atrous_branches():
    register_all_modules()
    with DefaultScope.overwrite_default_scope('mmseg'):
        head = DeepLabV2Head(in_channels=6, num_classes=3, dilations=(1, 2, 4), in_index=0)
    head.init_weights()
    assert not hasattr(head, 'conv_seg')
    assert [b.dilation for b in head.aspp] == [(1, 1), (2, 2), (4, 4)]
    for b in head.aspp:  # DeepLab-v2 init: N(0, 0.01) weights, zero biases
        assert b.bias.abs().max() == 0 and 0.002 < b.weight.std() < 0.03
    x = torch.randn(2, 6, 9, 11)
    out = head([x])
    expected = sum(F.conv2d(x, b.weight, b.bias, padding=d, dilation=d) for b, d in zip(head.aspp, (1, 2, 4)))
    assert out.shape == (2, 3, 9, 11)
    assert torch.allclose(out, expected, atol=1e-6)
    with pytest.raises(ValueError, match='dilations'):
        DeepLabV2Head(in_channels=6, num_classes=3, dilations=(0, 2))


def test_balanced_ce_by_hand():
    # one image, 2 classes, 4 pixels: labels [0, 0, 1, 255]; logits make p(correct) known
    logits = torch.zeros(1, 2, 1, 4)
    logits[0, 1, 0, 0] = math.log(3.0)  # pixel 0 (bg): p_bg = 1/4
    logits[0, 1, 0, 2] = math.log(3.0)  # pixel 2 (fg): p_fg = 3/4
    labels = torch.tensor([[[0, 0, 1, 255]]])
    bg = (-math.log(0.25) - math.log(0.5)) / 2
    fg = -math.log(0.75)
    assert balanced_cross_entropy(logits, labels).item() == pytest.approx(bg + fg, rel=1e-6)
    # plain CE weights the two background pixels twice as much as the foreground one
    plain = F.cross_entropy(logits, labels, ignore_index=255).item()
    assert plain == pytest.approx((-math.log(0.25) - math.log(0.5) - math.log(0.75)) / 3, rel=1e-6)
    # batch mean of per-image terms; an image without foreground contributes only its background mean
    logits2 = torch.cat([logits, torch.zeros(1, 2, 1, 4)])
    labels2 = torch.cat([labels, torch.tensor([[[0, 255, 255, 255]]])])
    assert balanced_cross_entropy(logits2, labels2).item() == pytest.approx((bg + fg + math.log(2)) / 2, rel=1e-6)
    all_ignored = balanced_cross_entropy(logits, torch.full_like(labels, 255))
    assert torch.isfinite(all_ignored) and all_ignored.item() == 0.0
    with pytest.raises(ValueError, match='outside'):
        balanced_cross_entropy(logits, torch.tensor([[[0, 2, 1, 255]]]))


def test_balanced_ce_gradient_skips_ignored_pixels():
    logits = torch.randn(1, 3, 4, 4, requires_grad=True)
    labels = torch.randint(0, 3, (1, 4, 4))
    labels[0, :2] = 255
    BalancedCrossEntropyLoss()(logits, labels).backward()
    assert (logits.grad[0, :, :2] == 0).all() and logits.grad[0, :, 2:].abs().sum() > 0
    assert BalancedCrossEntropyLoss().loss_name == 'loss_balanced_ce'


def test_shapes_deeplab_loss_step():
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    with DefaultScope.overwrite_default_scope('wsl'):
        model = MODELS.build(cfg.model)
    assert type(model.decode_head).__name__ == 'DeepLabV2Head'
    torch.manual_seed(0)
    samples = []
    for _ in range(2):
        gt = torch.zeros(1, 64, 64, dtype=torch.long)
        gt[0, 10:30, 10:40] = 2
        gt[0, 30:34] = 255
        s = SegDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64)))
        s.gt_sem_seg = PixelData(data=gt)
        samples.append(s)
    data = model.data_preprocessor(dict(inputs=[torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)] * 2,
                                        data_samples=samples), training=True)
    model.train()
    losses = model.loss(data['inputs'], data['data_samples'])
    assert set(losses) >= {'decode.loss_balanced_ce', 'decode.acc_seg'}
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total) and total > 0
    total.backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
