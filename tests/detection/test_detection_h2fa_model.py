"""H2FARCNN on the shipped synthetic config: gradient routing, A1-A4 switches, empty target proposals, predict."""
import os.path as osp

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from wsl.registry import MODELS
from wsl.testing import REPO
from wsl.utils import register_all_modules

CONFIG = osp.join(REPO, 'configs', 'h2fa', 'h2fa-rcnn_r18-dc5_1xb8-600it_shapes.py')
SIZE = 64
SOURCE_KEYS = {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox', 'acc'}


def build(alignments=None, **model_overrides):
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    if alignments is not None:
        cfg.model.alignments = alignments
    cfg.model.update(model_overrides)
    with DefaultScope.overwrite_default_scope('wsl'):
        model = MODELS.build(cfg.model)
    model.train()
    return model


def batch(model, domains=('source', 'target', 'source', 'target'), seed=0):
    torch.manual_seed(seed)
    samples, imgs = [], []
    for k, dom in enumerate(domains):
        s = DetDataSample(metainfo=dict(img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE), pad_shape=(SIZE, SIZE),
                                        scale_factor=(1.0, 1.0), batch_input_shape=(SIZE, SIZE), domain=dom))
        if dom == 'source':
            s.gt_instances = InstanceData(bboxes=torch.tensor([[6.0, 8.0, 40.0, 44.0]]), labels=torch.tensor([k % 4]))
        else:  # image-level labels only
            s.gt_instances = InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
            s.gt_image_labels = torch.tensor([1, 3])
        samples.append(s)
        imgs.append(torch.randint(0, 255, (3, SIZE, SIZE), dtype=torch.uint8))
    data = model.data_preprocessor(dict(inputs=imgs, data_samples=samples), training=True)
    return data['inputs'], data['data_samples']


def grad_sum(p):
    return 0.0 if p.grad is None else p.grad.abs().sum().item()


def test_target_loss_reaches_objectness_and_classifier_but_no_box_regressor():
    model = build()
    inputs, samples = batch(model, domains=('target', 'target'))
    losses = model.loss(inputs, samples)
    assert set(losses) == {'loss_global_da', 'loss_local_da', 'loss_cam', 'loss_mil'}  # no box loss on target
    losses['loss_mil'].backward()
    rpn, bbox = model.rpn_head, model.roi_head.bbox_head
    assert grad_sum(rpn.rpn_cls.weight) > 0 and grad_sum(rpn.rpn_conv.weight) > 0  # A3: objectness
    assert grad_sum(bbox.fc_cls.weight) > 0 and grad_sum(bbox.shared_fcs[0].weight) > 0  # A4: classifier
    assert grad_sum(model.backbone.conv1.weight) > 0
    assert grad_sum(rpn.rpn_reg.weight) == 0 and grad_sum(bbox.fc_reg.weight) == 0  # box regressors: source only


def test_mixed_batch_losses_and_domain_specific_routing():
    model = build()
    inputs, samples = batch(model)
    losses = model.loss(inputs, samples)
    assert set(losses) == SOURCE_KEYS | {'loss_global_da', 'loss_local_da', 'loss_cam', 'loss_mil'}
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    # The box losses come from the two source images only: the same numbers as a source-only batch would give
    # are not reproducible through BN, but a batch of source images alone has no loss_mil.
    src_losses = model.loss(*batch(model, domains=('source', 'source')))
    assert 'loss_mil' not in src_losses and SOURCE_KEYS <= set(src_losses)


@pytest.mark.parametrize('alignments,removed', [
    (dict(A1=False), {'loss_global_da', 'loss_local_da'}),
    (dict(A2=False), {'loss_cam'}),
    (dict(A3=False, A4=False), {'loss_mil'}),
    (dict(A1=False, A2=False, A3=False, A4=False), {'loss_global_da', 'loss_local_da', 'loss_cam', 'loss_mil'}),
])
def test_each_switch_removes_exactly_its_losses(alignments, removed):
    all_keys = SOURCE_KEYS | {'loss_global_da', 'loss_local_da', 'loss_cam', 'loss_mil'}
    model = build(dict(dict(A1=True, A2=True, A3=True, A4=True), **alignments))
    losses = model.loss(*batch(model))
    assert set(losses) == all_keys - removed
    if 'A1' in alignments:
        assert model.global_da_head is None and model.local_da_head is None
    if 'A2' in alignments:
        assert model.image_cls_head is None


@pytest.mark.parametrize('alignments,obj_grad,cls_grad', [
    (dict(A1=False, A2=False, A3=True, A4=False), True, False),  # A3 only: no gradient into P
    (dict(A1=False, A2=False, A3=False, A4=True), False, True),  # A4 only: no gradient into o
])
def test_a3_a4_stop_gradient_mapping(alignments, obj_grad, cls_grad):
    model = build(alignments)
    losses = model.loss(*batch(model, domains=('target', 'target')))
    assert set(losses) == {'loss_mil'}
    losses['loss_mil'].backward()
    assert (grad_sum(model.rpn_head.rpn_cls.weight) > 0) == obj_grad
    assert (grad_sum(model.roi_head.bbox_head.fc_cls.weight) > 0) == cls_grad


def test_target_image_without_proposals_keeps_loss_finite_and_connected():
    model = build()
    cfg = model.train_cfg.rpn_proposal
    cfg.min_bbox_size = 10 ** 6  # every proposal is filtered out
    losses = model.loss(*batch(model, domains=('target', 'target')))
    loss = losses['loss_mil']
    assert loss.item() == 0.0 and loss.requires_grad and loss.grad_fn is not None
    loss.backward()
    assert model.rpn_head.rpn_cls.weight.grad is not None  # connected: a (zero) gradient arrives
    assert grad_sum(model.rpn_head.rpn_cls.weight) == 0


def test_one_empty_target_image_is_left_out_of_the_mean():
    model = build(iir=dict(num_proposals=-1, loss_weight=1.0, eps=1e-6))  # all proposals: order-free
    inputs, samples = batch(model, domains=('target', 'target'))
    x = model.extract_feat(inputs)[0]
    labels = torch.tensor([[0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0]])
    real = model.rpn_head.predict_with_logits
    both = model._iir_loss(x, samples, labels)

    def drop_first(feats, metas, cfg):
        res = real(feats, metas, cfg)
        res[0] = res[0][:0]
        return res

    model.rpn_head.predict_with_logits = drop_first
    mixed = model._iir_loss(x, samples, labels)
    model.rpn_head.predict_with_logits = real
    second_only = model._iir_loss(x[1:], samples[1:], labels[1:])
    assert torch.isfinite(mixed) and mixed.item() == pytest.approx(second_only.item(), rel=1e-5)
    assert both.item() != pytest.approx(mixed.item(), rel=1e-3)


def test_rpn_logits_with_gradient_match_the_stock_proposals():
    model = build()
    inputs, samples = batch(model, domains=('target', 'target'))
    x = model.extract_feat(inputs)
    metas = [s.metainfo for s in samples]
    cfg = model.train_cfg.rpn_proposal
    with_logits = model.rpn_head.predict_with_logits(x, metas, cfg)
    stock = model.rpn_head.predict_by_feat(*model.rpn_head(x), batch_img_metas=metas, cfg=cfg)
    for a, b in zip(with_logits, stock):
        assert torch.allclose(a.bboxes, b.bboxes) and torch.allclose(a.scores, b.scores)
        assert a.obj_logits.requires_grad and not a.bboxes.requires_grad
        assert torch.allclose(a.obj_logits.detach().sigmoid(), a.scores, atol=1e-6)  # NMS keeps the scores


def test_predict_uses_res5_only_and_rejects_unknown_domain():
    model = build()
    inputs, samples = batch(model, domains=('source', 'target'))
    feats = model.extract_feat(inputs)
    assert len(feats) == 1 and feats[0].shape[1] == 512 and feats[0].shape[-1] == SIZE // 16
    model.eval()
    with torch.no_grad():
        out = model.predict(inputs, samples)
    assert len(out) == 2 and out[0].pred_instances.bboxes.shape[1] == 4
    model.train()
    samples[0].set_metainfo(dict(domain='clipart'))
    with pytest.raises(ValueError, match="domain 'clipart'"):
        model.loss(inputs, samples)


def test_neck_and_wrong_rpn_head_are_rejected():
    with pytest.raises(ValueError, match='takes no neck'):
        build(neck=dict(type='FPN', in_channels=[64, 512], out_channels=64, num_outs=2))
    cfg_rpn = Config.fromfile(CONFIG).model.rpn_head
    cfg_rpn.type = 'RPNHead'
    with pytest.raises(TypeError, match='H2FARPNHead'):
        build(rpn_head=cfg_rpn)
