"""pDMI: hand-computed 2×2 and C×C cases, finite gradients, numerical safety."""
import math

import torch

from wsl.registry import MODELS
from wsl.temporal.models.losses import pdmi, snippet_joint, video_joint


def cond_log_2x2(a, b, c, d):
    """log(σ1/σ2) of [[a, b], [c, d]] from the closed form of the 2×2 singular values."""
    s = a * a + b * b + c * c + d * d
    det = a * d - b * c
    root = math.sqrt(s * s - 4 * det * det)
    return 0.5 * math.log((s + root) / (s - root))


def _snippet_case():
    # labels: class 0; λ' marks t0, t1 pseudo-fg (> 0.5) and t2..t4 pseudo-bg (< 0.5)
    tcam = torch.tensor([[[0.9, 0.95], [0.7, 0.1], [0.2, 0.1], [0.1, 0.4], [0.3, 0.0]]], dtype=torch.float64)
    lam = torch.tensor([[0.9, 0.8, 0.2, 0.1, 0.4]])
    return tcam, lam, torch.tensor([[1.0, 0.0]]), torch.tensor([5])


def test_pdmi_2x2_hand():
    u = torch.tensor([[0.8, 0.2], [0.3, 0.7]], dtype=torch.float64)
    assert math.isclose(float(pdmi(u)), cond_log_2x2(0.8, 0.2, 0.3, 0.7), rel_tol=1e-9)
    assert math.isclose(cond_log_2x2(0.8, 0.2, 0.3, 0.7), 0.70640, abs_tol=1e-4)
    # condition number 1 for a scaled identity and for a scaled rotation
    assert abs(float(pdmi(0.5 * torch.eye(2)))) < 1e-6
    rot = torch.tensor([[0.6, -0.8], [0.8, 0.6]])
    assert abs(float(pdmi(0.3 * rot))) < 1e-5


def test_snippet_joint_code_and_paper_variants():
    tcam, lam, labels, vlen = _snippet_case()
    u, ok = snippet_joint(tcam.double(), lam, labels, vlen)
    # fg q = max over GT class 0: [0.9, 0.7] → 0.8; bg q = max over all: [0.2, 0.4, 0.3] → 0.3
    torch.testing.assert_close(u[0], torch.tensor([[0.8, 0.2], [0.3, 0.7]], dtype=torch.float64))
    assert bool(ok[0])
    loss = MODELS.build(dict(type='SnippetPDMILoss', loss_weight=1.0))(tcam.double(), lam, labels, vlen)
    assert math.isclose(float(loss), cond_log_2x2(0.8, 0.2, 0.3, 0.7), rel_tol=1e-9)
    # paper: q = max over all classes on pseudo-fg too (0.95 at t0)
    u2, _ = snippet_joint(tcam.double(), lam, labels, vlen, fg_over_gt=False)
    torch.testing.assert_close(u2[0, 0], torch.tensor([0.825, 0.175], dtype=torch.float64))
    # paper's 1/z normalisation: rows scaled by n_f / z = 2/5 and n_b / z = 3/5
    u3, _ = snippet_joint(tcam.double(), lam, labels, vlen, normalize='total')
    torch.testing.assert_close(u3[0], torch.tensor([[0.32, 0.08], [0.18, 0.42]], dtype=torch.float64))


def test_snippet_loss_averages_usable_videos_and_skips_empty_classes():
    tcam, lam, labels, vlen = _snippet_case()
    tcam2 = torch.cat([tcam, tcam]).requires_grad_()
    lam2 = torch.cat([lam, torch.full_like(lam, 0.9)])  # video 1: no pseudo-background → skipped
    loss = MODELS.build(dict(type='SnippetPDMILoss', loss_weight=1.0))(tcam2, lam2, labels.repeat(2, 1),
                                                                      vlen.repeat(2))
    assert math.isclose(float(loss), cond_log_2x2(0.8, 0.2, 0.3, 0.7), rel_tol=1e-5)
    loss.backward()
    assert torch.isfinite(tcam2.grad).all() and tcam2.grad[1].abs().sum() == 0
    # no usable video at all: 0, still differentiable
    empty = MODELS.build(dict(type='SnippetPDMILoss'))(tcam2, torch.full_like(lam2, 0.5), labels.repeat(2, 1),
                                                       vlen.repeat(2))
    assert float(empty) == 0.0 and empty.requires_grad


def test_video_joint_and_pdmi_cxc_hand():
    p = torch.tensor([[0.9, 0.1, 0.05], [0.2, 0.8, 0.1], [0.6, 0.5, 0.05]], dtype=torch.float64)
    y = torch.tensor([[1, 0, 0], [0, 1, 0], [1, 0, 0]], dtype=torch.float64)
    u = video_joint(p, y)
    # mask > 0.2·max then L1-normalise: [1,0,0], [0.2,0.8,0], [6/11,5/11,0]; class rows = per-class means
    expect = torch.tensor([[17 / 22, 5 / 22, 0], [0.2, 0.8, 0], [0, 0, 0]], dtype=torch.float64)
    torch.testing.assert_close(u, expect)
    # class 2 is absent: its zero row is dropped (σ <= 1e-5), leaving the 2×2 block
    assert math.isclose(float(pdmi(u, 1e-5)), cond_log_2x2(17 / 22, 5 / 22, 0.2, 0.8), rel_tol=1e-9)
    # diagonal C×C: log(σmax/σmin) = log(0.5/0.125)
    assert math.isclose(float(pdmi(torch.diag(torch.tensor([0.5, 0.25, 0.125], dtype=torch.float64)))),
                        math.log(4), rel_tol=1e-12)
    # paper's 1/n normalisation and no masking
    u_paper = video_joint(p, y, mask_ratio=None, normalize='batch')
    torch.testing.assert_close(u_paper, y.T @ p / 3)


def test_video_loss_single_class_is_zero_and_module_matches_function():
    tcam = torch.rand(3, 8, 4, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([[1.0, 0, 0, 0]] * 3)
    assert float(MODELS.build(dict(type='VideoPDMILoss'))(tcam, y, torch.tensor([8, 8, 8]))) == 0.0
    y = torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 1.0]])
    loss = MODELS.build(dict(type='VideoPDMILoss', loss_weight=1.0))(tcam, y, torch.tensor([8, 8, 8]))
    p = torch.stack([tcam[i].topk(1, dim=0).values.mean(0) for i in range(3)]).clamp(1e-3, 1 - 1e-3)
    assert math.isclose(float(loss), float(pdmi(video_joint(p, y), 1e-5)), rel_tol=1e-6)


def test_gradient_finite_when_singular_values_coincide_or_vanish():
    for u in (0.5 * torch.eye(2), 0.5 * torch.eye(3), 0.3 * torch.tensor([[0.6, -0.8], [0.8, 0.6]]),
              torch.full((2, 2), 0.5), torch.zeros(3, 3), torch.diag(torch.tensor([0.4, 0.4, 0.0]))):
        u = u.clone().double().requires_grad_()
        loss = pdmi(u)
        loss.backward()
        assert torch.isfinite(loss) and torch.isfinite(u.grad).all(), u
    # rank-1 (equal rows) and zero matrices keep < 2 singular values → 0
    assert float(pdmi(torch.full((2, 2), 0.5).double())) == 0.0
    assert float(pdmi(torch.zeros(3, 3))) == 0.0
    # through the snippet pipeline: identical q everywhere gives equal rows
    tcam = torch.full((1, 6, 2), 0.5, requires_grad=True)
    lam = torch.tensor([[0.9, 0.9, 0.9, 0.1, 0.1, 0.1]])
    loss = MODELS.build(dict(type='SnippetPDMILoss'))(tcam, lam, torch.tensor([[1.0, 0]]), torch.tensor([6]))
    loss.backward()
    assert float(loss) == 0.0 and torch.isfinite(tcam.grad).all()


def test_non_finite_inputs_never_crash():
    bad = torch.tensor([[[float('nan'), 0.5]] * 6, [[0.9, 0.1]] * 3 + [[0.1, 0.1]] * 3])
    lam = torch.tensor([[0.9, 0.9, 0.9, 0.1, 0.1, 0.1]] * 2)
    labels = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    loss = MODELS.build(dict(type='SnippetPDMILoss', loss_weight=1.0))(bad, lam, labels, torch.tensor([6, 6]))
    assert torch.isfinite(loss)  # the NaN video is skipped, the other one counts
    expect = cond_log_2x2(0.9, 0.1, 0.1, 0.9)
    assert math.isclose(float(loss), expect, rel_tol=1e-5)
    assert float(pdmi(torch.tensor([[float('inf'), 1.0], [0.0, 1.0]]))) == 0.0
