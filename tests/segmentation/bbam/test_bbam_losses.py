"""L_perturb (code and paper normalisation, 1_box / 1_cls), lambda * sum(M) and the TV^3 term, by hand."""
import math

import pytest
import torch

from wsl.segmentation.bbam.losses import (BBAMLoss, gather_class_deltas, mask_sparsity, perturb_loss,
                                          target_class_prob, tv_norm)


def _case():
    # 2 proposals, 2 classes + background (last, mmdet); target class 1
    cls_score = torch.tensor([[0.0, math.log(3.0), 0.0], [0.0, 0.0, 0.0]])  # softmax: [.2, .6, .2], [1/3] * 3
    bbox_pred = torch.tensor([[9., 9., 9., 9., 0.1, -0.2, 0.3, 0.0],
                              [9., 9., 9., 9., 0.0, 0.0, 0.0, 0.4]])
    labels = torch.tensor([1, 1])
    ref_probs = torch.tensor([0.9, 0.5])
    ref_deltas = torch.zeros(2, 4)
    return cls_score, bbox_pred, labels, ref_probs, ref_deltas


def test_gather_target_class_outputs_background_last():
    cls_score, bbox_pred, labels, _, _ = _case()
    p = target_class_prob(cls_score, labels)
    assert torch.allclose(p, torch.tensor([0.6, 1 / 3]))
    d = gather_class_deltas(bbox_pred, labels)
    assert torch.allclose(d, torch.tensor([[0.1, -0.2, 0.3, 0.0], [0.0, 0.0, 0.0, 0.4]]))
    assert torch.equal(gather_class_deltas(bbox_pred[:, 4:], labels), bbox_pred[:, 4:])  # class-agnostic


def test_perturb_loss_code_parity_by_hand():
    cls_score, bbox_pred, labels, ref_probs, ref_deltas = _case()
    p = target_class_prob(cls_score, labels)
    d = gather_class_deltas(bbox_pred, labels)
    # proposal 0: box mean |.1|,|.2|,|.3|,0 = 0.15; cls |0.6 - 0.9| = 0.3 -> 0.5 * 0.15 + 0.5 * 0.3 = 0.225
    # proposal 1: box mean 0.1; cls |1/3 - 0.5| = 1/6 -> 0.05 + 1/12; object loss = mean of the two
    expected = (0.225 + 0.05 + 1 / 12) / 2
    got = perturb_loss(p, d, ref_probs, ref_deltas)
    assert got.shape == (1,) and got.item() == pytest.approx(expected, abs=1e-6)
    # switches: box only / cls only
    assert perturb_loss(p, d, ref_probs, ref_deltas, use_cls=False).item() == pytest.approx((0.075 + 0.05) / 2)
    assert perturb_loss(p, d, ref_probs, ref_deltas, use_box=False).item() == pytest.approx((0.15 + 1 / 12) / 2)
    with pytest.raises(ValueError, match='1_box'):
        perturb_loss(p, d, ref_probs, ref_deltas, use_box=False, use_cls=False)


def test_perturb_loss_paper_normalisation_by_hand():
    cls_score, bbox_pred, labels, ref_probs, ref_deltas = _case()
    p = target_class_prob(cls_score, labels)
    d = gather_class_deltas(bbox_pred, labels)
    # plain L1: proposal 0: 0.6 + 0.3 = 0.9; proposal 1: 0.4 + 1/6
    got = perturb_loss(p, d, ref_probs, ref_deltas, box_weight=1.0, cls_weight=1.0, box_reduction='sum')
    assert got.item() == pytest.approx((0.9 + 0.4 + 1 / 6) / 2, abs=1e-6)


def test_perturb_loss_per_object_means():
    p = torch.tensor([0.5, 0.5, 0.5])
    d = torch.zeros(3, 4)
    ref = torch.tensor([0.1, 0.3, 0.9])
    got = perturb_loss(p, d, ref, torch.zeros(3, 4), obj_index=torch.tensor([0, 0, 1]), num_objects=3)
    # object 0: 0.5 * mean(0.4, 0.2) = 0.15; object 1: 0.5 * 0.4 = 0.2; object 2 has no proposal: 0
    assert torch.allclose(got, torch.tensor([0.15, 0.2, 0.0]))


def test_sparsity_is_a_sum_and_tv_double_counts_diagonals():
    m = torch.tensor([[0.0, 1.0], [1.0, 0.5]])
    assert mask_sparsity(m).item() == pytest.approx(2.5)
    # vertical: |0-1|^3 + |1-0.5|^3 = 1.125; horizontal: the same 1.125
    # diagonal (0,0)-(1,1): 0.5^3 = 0.125; anti-diagonal (1,0)-(0,1): 0 -> counted twice: 0.25
    assert tv_norm(m, 3.0).item() == pytest.approx(2.25 + 0.25)
    assert tv_norm(m, 3.0, duplicate_diagonals=False).item() == pytest.approx(2.25 + 0.125)
    assert tv_norm(m, 3.0, diagonal=False).item() == pytest.approx(2.25)
    assert tv_norm(m, 2.0).item() == pytest.approx(1.25 + 1.25 + 2 * 0.25)


def test_bbam_loss_module_sums_the_terms_per_object():
    cls_score, bbox_pred, labels, ref_probs, ref_deltas = _case()
    masks = [torch.tensor([[0.0, 1.0], [1.0, 0.5]]), torch.ones(1, 3)]
    loss = BBAMLoss(lambda_sparsity=0.007, tv_weight=1e-4)
    out = loss(cls_score, bbox_pred, labels, ref_probs, ref_deltas, masks, torch.tensor([0, 1]))
    assert torch.allclose(out['loss_perturb'], torch.tensor([0.225, 0.05 + 1 / 12]))
    assert torch.allclose(out['loss_sparsity'], torch.tensor([0.007 * 2.5, 0.007 * 3]))
    assert torch.allclose(out['loss_tv'], torch.tensor([1e-4 * 2.5, 0.0]))
    assert torch.allclose(out['loss'], out['loss_perturb'] + out['loss_sparsity'] + out['loss_tv'])
    paper = BBAMLoss(box_weight=1.0, cls_weight=1.0, box_reduction='sum', tv_weight=0.0)
    out = paper(cls_score, bbox_pred, labels, ref_probs, ref_deltas, masks, torch.tensor([0, 1]))
    assert torch.allclose(out['loss_tv'], torch.zeros(2))
    assert out['loss_perturb'][0].item() == pytest.approx(0.9)
    with pytest.raises(ValueError, match='box_reduction'):
        BBAMLoss(box_reduction='max')
    with pytest.raises(ValueError, match='lambda_sparsity'):
        BBAMLoss(lambda_sparsity=-1)


def test_loss_gradient_flows_to_the_masked_outputs_only():
    cls_score, bbox_pred, labels, ref_probs, ref_deltas = _case()
    cls_score.requires_grad_(True)
    ref_probs.requires_grad_(True)
    m = torch.full((2, 2), 0.5, requires_grad=True)
    out = BBAMLoss()(cls_score, bbox_pred, labels, ref_probs, ref_deltas, [m, m], torch.tensor([0, 1]))
    out['loss'].sum().backward()
    assert cls_score.grad.abs().sum() > 0 and ref_probs.grad is None  # references are detached
    assert torch.allclose(m.grad, torch.full((2, 2), 2 * 0.007))  # TV is flat at a constant mask
