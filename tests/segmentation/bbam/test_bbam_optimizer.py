"""The BBAM optimiser on a tiny random-weight mmdet Faster R-CNN (R-18 FPN, init_cfg=None).

The box head is set so that the outputs stay input-dependent but predictable: the classifier's bias favours one
class (or the background), the regression weights are tiny (decoded boxes ~ the proposals themselves).
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from wsl.registry import MODELS
from wsl.segmentation.bbam.optimizer import BBAMOptimizer, map_to_original
from wsl.segmentation.bbam.stride import init_mask_from_boxes, mask_shape
from wsl.testing import REPO
from wsl.utils import register_all_modules

DET_CONFIG = osp.join(REPO, 'configs', 'faster_rcnn', 'faster-rcnn_r18_fpn_1xb8-600it_shapes.py')
SHAPE = (64, 64)
BOXES = [torch.tensor([[8.0, 8.0, 40.0, 36.0]]), torch.tensor([[20.0, 12.0, 56.0, 50.0]])]


def tiny_detector(favour: int = 1, seed: int = 0):
    register_all_modules()
    cfg = Config.fromfile(DET_CONFIG)
    with DefaultScope.overwrite_default_scope('wsl'):
        model = MODELS.build(cfg.model)
    torch.manual_seed(seed)
    head = model.roi_head.bbox_head
    with torch.no_grad():
        head.fc_cls.weight.normal_(0, 0.02)
        head.fc_cls.bias.zero_()
        head.fc_cls.bias[favour] = 3.0
        head.fc_reg.weight.normal_(0, 0.002)
        head.fc_reg.bias.zero_()
    return model


def inputs(n=2):
    g = torch.Generator().manual_seed(3)
    return torch.randn(n, 3, *SHAPE, generator=g)


def make_opt(detector, **kw):
    args = dict(sampler=dict(type='BBAMProposalSampler', num_jitters=200), stride_base=4.0, stride_scale=12.0,
                num_steps=3)
    args.update(kw)
    return BBAMOptimizer(detector, **args)


def gens(n=2):
    return [torch.Generator().manual_seed(10 + k) for k in range(n)]


@pytest.fixture(scope='module')
def detector():
    return tiny_detector()


def test_detector_is_frozen_and_gradients_reach_the_mask_only(detector):
    opt = make_opt(detector)
    assert not detector.training and not any(p.requires_grad for p in detector.parameters())
    x = inputs()
    objs = opt.prepare(x, [SHAPE] * 2, BOXES, [torch.tensor([1]), torch.tensor([1])], gens())
    o = objs[0][0]
    assert o.num_positives > 0
    mask = o.init_mask.clone().requires_grad_(True)
    feats = detector.extract_feat(opt.masked_inputs(x[:1], [mask], [SHAPE]))
    cls_score, bbox_pred = opt._box_forward(feats, torch.cat([torch.zeros(o.num_positives, 1), o.rois], 1))
    loss = opt.loss(cls_score, bbox_pred, torch.full((o.num_positives,), 1), o.ref_probs, o.ref_deltas, [mask],
                    torch.zeros(o.num_positives, dtype=torch.long))['loss'].sum()
    loss.backward()
    assert mask.grad is not None and mask.grad.abs().sum() > 0
    assert all(p.grad is None for p in detector.parameters())
    opt.optimise(x, [SHAPE] * 2, [oo for per in objs for oo in per])
    assert all(p.grad is None for p in detector.parameters())


def test_prepare_references_and_initial_mask(detector):
    opt = make_opt(detector)
    x = inputs()
    objs = opt.prepare(x, [SHAPE] * 2, BOXES, [torch.tensor([1]), torch.tensor([1])], gens())
    for b, per in enumerate(objs):
        o = per[0]
        assert o.image == b and o.label == 1 and o.num_positives <= 100
        assert o.shape == mask_shape(SHAPE, o.stride)
        # references: the clean outputs at the positives (softmax prob of class 1, deltas of class 1)
        with torch.no_grad():
            feats = detector.extract_feat(x)
            rois = torch.cat([torch.full((o.num_positives, 1), float(b)), o.rois], 1)
            cls_score, bbox_pred = opt._box_forward(feats, rois)
        assert torch.allclose(o.ref_probs, cls_score.softmax(-1)[:, 1], atol=1e-6)
        assert torch.allclose(o.ref_deltas, bbox_pred.view(-1, 4, 4)[:, 1], atol=1e-6)
        decoded = detector.roi_head.bbox_head.bbox_coder.decode(o.rois, o.ref_deltas)
        assert torch.equal(o.init_mask, init_mask_from_boxes(decoded, o.stride, o.shape))
        assert o.init_mask.sum() > 0


def test_identity_mask_has_zero_perturbation_loss(detector):
    # M = 1 everywhere reproduces the clean image: L = lambda * h * w exactly (TV of a constant is 0)
    opt = make_opt(detector, num_steps=1)
    x = inputs()
    objs = opt.prepare(x, [SHAPE] * 2, BOXES, [torch.tensor([1]), torch.tensor([1])], gens())
    flat = [o for per in objs for o in per]
    for o in flat:
        o.init_mask = torch.ones(o.shape)
    opt.optimise(x, [SHAPE] * 2, flat)
    for o in flat:
        assert o.final_loss == pytest.approx(0.007 * o.shape[0] * o.shape[1], abs=1e-5)


def test_masked_inputs_mean_colour_and_padding(detector):
    opt = make_opt(detector)
    base = torch.randn(2, 3, 64, 96)
    out = opt.masked_inputs(base, [torch.zeros(3, 4), torch.ones(2, 2)], [(64, 96), (50, 70)])
    assert torch.equal(out[0], torch.zeros_like(out[0]))  # 0 = mean colour in normalised space
    assert torch.allclose(out[1, :, :50, :70], base[1, :, :50, :70], atol=1e-6)
    assert torch.equal(out[1, :, 50:], torch.zeros_like(out[1, :, 50:]))  # padding stays 0


def test_projected_adam_clamps_to_unit_interval(detector):
    opt = make_opt(detector, lr=5.0, num_steps=2)
    x = inputs()
    per_image = opt.run(x, [SHAPE] * 2, BOXES, [torch.tensor([1]), torch.tensor([1])], gens())
    for per in per_image:
        o = per[0]
        assert o.mask.min() >= 0.0 and o.mask.max() <= 1.0
        assert not torch.equal(o.mask, o.init_mask)
        # with such a large step every element sits on a bound
        assert torch.all((o.mask == 0) | (o.mask == 1))


def test_no_positive_fallback():
    det = tiny_detector(favour=4)  # background (last logit) wins everywhere
    opt = make_opt(det)
    per_image = opt.run(inputs(1), [SHAPE], BOXES[:1], [torch.tensor([1])], gens(1))
    o = per_image[0][0]
    assert o.num_positives == 0 and o.rois.shape == (0, 4)
    assert o.mask.shape == o.shape and o.mask.sum() == 0
    full = map_to_original(o.mask, SHAPE, (100, 120))
    assert full.shape == (100, 120) and full.sum() == 0


def test_batched_equals_per_object_for_two_objects_on_two_images(detector):
    x = inputs()
    boxes = [torch.tensor([[8.0, 8.0, 40.0, 36.0], [30.0, 30.0, 60.0, 62.0]]), torch.tensor([[20.0, 12.0, 56.0, 50.0]])]
    labels = [torch.tensor([1, 1]), torch.tensor([1])]
    res = {}
    for strategy in ('per_object', 'batched'):
        opt = make_opt(detector, strategy=strategy, num_steps=8)
        res[strategy] = opt.run(x, [SHAPE] * 2, boxes, labels, gens())
    n = 0
    for per_p, per_b in zip(res['per_object'], res['batched']):
        for op, ob in zip(per_p, per_b):
            assert op.num_positives == ob.num_positives and torch.equal(op.rois, ob.rois)
            assert op.mask.shape == ob.mask.shape
            assert torch.allclose(op.mask, ob.mask, atol=1e-3), (op.mask - ob.mask).abs().max()
            n += op.num_positives > 0
    assert n >= 2


def test_map_to_original_resolution():
    m = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    full = map_to_original(m, (4, 6), (8, 12))
    assert full.shape == (8, 12) and full.min() >= 0 and full.max() <= 1
    assert full[0, 0] < 0.2 and full[0, -1] > 0.8  # orientation kept
    assert torch.equal(map_to_original(m, (4, 6), (4, 6)), m.new_tensor(
        torch.nn.functional.interpolate(m[None, None], size=(4, 6), mode='bilinear', align_corners=True)[0, 0]))


def test_bad_settings_raise(detector):
    with pytest.raises(ValueError, match='strategy'):
        make_opt(detector, strategy='parallel')
    with pytest.raises(ValueError, match='stride_mode'):
        make_opt(detector, stride_mode='auto')
    with pytest.raises(TypeError, match='two-stage'):
        BBAMOptimizer(torch.nn.Linear(2, 2))
