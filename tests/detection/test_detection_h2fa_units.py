"""H²FA units: IIR aggregation (Eqn 2) against a hand computation, GRL, focal / least-squares domain losses, heads."""
import math

import pytest
import torch
import torch.nn.functional as F

from wsl.detection.models import (H2FAGlobalDomainClassifier, H2FAImageClassifier, H2FALocalDomainClassifier,
                                  grad_reverse, iir_bce_loss, iir_image_scores, least_squares_domain_loss,
                                  sample_proposal_indices, sigmoid_focal_loss_no_alpha)


def _softmax(v):
    e = [math.exp(x) for x in v]
    return [x / sum(e) for x in e]


def test_iir_image_scores_match_hand_computation():
    # 3 proposals, 2 foreground classes (background already dropped). Argmax classes: 0, 1, 1.
    cls = torch.tensor([[2.0, 0.0], [0.0, 1.0], [0.0, 3.0]])
    obj = torch.tensor([1.0, -1.0, 2.0])
    p_rows = [_softmax([2, 0]), _softmax([0, 1]), _softmax([0, 3])]
    w0 = _softmax([1.0, 0.0, 0.0])  # class 0 column of Ō: proposal 0 assigned (o=1), the others 0
    w1 = _softmax([0.0, -1.0, 2.0])  # class 1 column: proposals 1 and 2 assigned (o=-1, 2), proposal 0 is 0
    expected = [sum(p_rows[i][0] * w0[i] for i in range(3)), sum(p_rows[i][1] * w1[i] for i in range(3))]
    scores = iir_image_scores(cls, obj)
    assert scores.tolist() == pytest.approx(expected, abs=1e-6)
    assert scores.tolist() == pytest.approx([0.574495, 0.848101], abs=1e-5)
    # BCE with y = (1, 0): mean over the 2 classes.
    loss = iir_bce_loss(scores[None], torch.tensor([[1.0, 0.0]]))
    assert loss.item() == pytest.approx(-(math.log(expected[0]) + math.log(1 - expected[1])) / 2, rel=1e-6)


def test_iir_unassigned_class_gets_the_mean_probability_and_negative_logit_is_downweighted():
    cls = torch.tensor([[3.0, 0.0, -1.0], [2.0, 1.0, 0.0]])  # both proposals argmax class 0; class 1/2 unassigned
    obj = torch.tensor([-2.0, 0.5])
    p = cls.softmax(1)
    scores = iir_image_scores(cls, obj)
    assert scores[1].item() == pytest.approx(p[:, 1].mean().item(), abs=1e-6)
    assert scores[2].item() == pytest.approx(p[:, 2].mean().item(), abs=1e-6)
    w = torch.tensor([-2.0, 0.5]).softmax(0)
    assert scores[0].item() == pytest.approx((p[:, 0] * w).sum().item(), abs=1e-6)


def test_iir_gradients_reach_class_logits_and_assigned_objectness_only():
    cls = torch.tensor([[2.0, 0.0], [0.0, 1.0], [0.0, 3.0]], requires_grad=True)
    obj = torch.tensor([1.0, -1.0, 2.0], requires_grad=True)
    iir_image_scores(cls, obj)[0].backward()  # class-0 score: only proposal 0 is assigned to class 0
    assert cls.grad.abs().sum() > 0
    assert obj.grad[0] != 0 and obj.grad[1] == 0 and obj.grad[2] == 0


def test_iir_bce_clamp_zeroes_gradient_outside_bounds():
    p = torch.tensor([[1.0, 0.0]], requires_grad=True)
    loss = iir_bce_loss(p, torch.tensor([[1.0, 0.0]]))
    loss.backward()
    assert loss.item() == pytest.approx(1e-6, rel=2e-2)  # -log(1 - 1e-6) in float32
    assert torch.equal(p.grad, torch.zeros_like(p))


def test_iir_rejects_bad_shapes_and_empty_input():
    with pytest.raises(ValueError, match='expected cls_logits'):
        iir_image_scores(torch.zeros(3, 2), torch.zeros(2))
    with pytest.raises(ValueError, match='no proposals'):
        iir_image_scores(torch.zeros(0, 2), torch.zeros(0))


def test_sample_proposal_indices_is_a_random_subset():
    torch.manual_seed(0)
    idx = sample_proposal_indices(10, 4)
    assert len(idx) == 4 and len(set(idx.tolist())) == 4 and max(idx.tolist()) < 10
    assert sorted(sample_proposal_indices(5, 512).tolist()) == list(range(5))
    assert sorted(sample_proposal_indices(6, -1).tolist()) == list(range(6))
    draws = {tuple(sample_proposal_indices(10, 3).tolist()) for _ in range(5)}
    assert len(draws) > 1  # random, not top-k


def test_grl_is_identity_forward_and_flips_and_scales_gradient():
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    w = torch.tensor([0.5, 1.0, -4.0])
    y = grad_reverse(x, 0.3)
    assert torch.equal(y, x)
    (y * w).sum().backward()
    assert torch.allclose(x.grad, -0.3 * w)
    x.grad = None
    (grad_reverse(x) * w).sum().backward()
    assert torch.allclose(x.grad, -w)


def test_focal_loss_without_alpha_on_known_values():
    logits, targets = torch.tensor([0.0, 2.0]), torch.tensor([1.0, 0.0])
    s = 1 / (1 + math.exp(-2.0))
    e1 = 0.5 ** 5 * math.log(2.0)  # p_t = 0.5
    e2 = s ** 5 * -math.log(1 - s)  # target 0: p_t = 1 - σ(2), (1 - p_t)^5 = σ(2)^5
    assert sigmoid_focal_loss_no_alpha(logits, targets, gamma=5.0).item() == pytest.approx((e1 + e2) / 2, rel=1e-6)
    # γ = 0 is plain BCE; the loss is symmetric in the label convention (no α).
    assert sigmoid_focal_loss_no_alpha(logits, targets, gamma=0.0).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(logits, targets).item(), rel=1e-6)
    assert sigmoid_focal_loss_no_alpha(-logits, 1 - targets).item() == pytest.approx(
        sigmoid_focal_loss_no_alpha(logits, targets).item(), rel=1e-6)


def test_least_squares_domain_loss_on_known_values():
    prob = torch.tensor([[[[0.2, 0.6]]], [[[0.9, 0.5]]]])  # (2, 1, 1, 2)
    loss = least_squares_domain_loss(prob, torch.tensor([0, 1]))
    assert loss.item() == pytest.approx((0.2 ** 2 + 0.6 ** 2 + 0.1 ** 2 + 0.5 ** 2) / 4, rel=1e-6)


def test_domain_classifiers_shapes_losses_and_reversed_gradient():
    torch.manual_seed(0)
    g = H2FAGlobalDomainClassifier(in_channels=8, channels=(8, 4, 4))
    loc = H2FALocalDomainClassifier(in_channels=8, channels=(8, 4))
    x = torch.randn(4, 8, 8, 8, requires_grad=True)
    d = torch.tensor([0, 0, 1, 1])
    assert g(x).shape == (4, ) and loc(x).shape == (4, 1, 8, 8)
    assert ((loc(x) > 0) & (loc(x) < 1)).all()
    g.eval()  # no dropout: compare against the same head without the GRL
    loss = g.loss(x, d)
    assert loss.item() == pytest.approx(sigmoid_focal_loss_no_alpha(g.fc(g.convs(x).mean((2, 3))).squeeze(1),
                                                                    d.float(), 5.0).item(), rel=1e-5)
    # The feature gets the NEGATED gradient of the discriminator loss; the discriminator gets the plain one.
    gx, = torch.autograd.grad(loss, x, retain_graph=True)
    x2 = x.detach().clone().requires_grad_(True)
    plain = sigmoid_focal_loss_no_alpha(g.fc(g.convs(x2).mean((2, 3))).squeeze(1), d.float(), 5.0)
    gx2, = torch.autograd.grad(plain, x2)
    assert torch.allclose(gx, -gx2, atol=1e-7)
    local_loss = loc.loss(x, d)
    assert local_loss.item() == pytest.approx(least_squares_domain_loss(loc(x), d).item(), rel=1e-6)


def test_image_classifier_loss_is_weighted_multilabel_bce():
    torch.manual_seed(0)
    head = H2FAImageClassifier(in_channels=6, num_classes=3, loss_weight=0.1)
    x = torch.randn(2, 6, 4, 4)
    labels = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    logits = head(x)
    assert logits.shape == (2, 3)
    assert torch.allclose(logits, torch.einsum('nchw,kc->nk', x, head.conv.weight[:, :, 0, 0]) / 16, atol=1e-6)
    assert head.loss(x, labels).item() == pytest.approx(
        0.1 * F.binary_cross_entropy_with_logits(logits, labels).item(), rel=1e-6)
