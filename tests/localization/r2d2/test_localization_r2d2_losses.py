"""R2D2 losses: flow grid, cosim, peaky, quantised AP, the neighbourhood sampler, reliability loss."""
import math

import pytest
import torch
import torch.nn.functional as F

from wsl.localization.r2d2.ap_loss import average_precision, soft_bin_weights
from wsl.localization.r2d2.reliability_loss import reliability_ap_loss
from wsl.localization.r2d2.repeatability_loss import aflow_to_grid, cosim_loss, peaky_loss
from wsl.localization.r2d2.sampler import R2D2NghSampler, disk_offsets
from wsl.registry import MODELS, TASK_UTILS


def identity_flow(b, h, w):
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float), torch.arange(w, dtype=torch.float), indexing='ij')
    return torch.stack([xs, ys])[None].repeat(b, 1, 1, 1)


def test_aflow_to_grid_align_corners_convention():
    flow = identity_flow(2, 5, 7)
    grid = aflow_to_grid(flow)
    ref = F.affine_grid(torch.eye(2, 3)[None].repeat(2, 1, 1), (2, 1, 5, 7), align_corners=True)
    torch.testing.assert_close(grid, ref)
    flow[0, :, 1, 2] = float('nan')
    assert (aflow_to_grid(flow)[0, 1, 2] == 9e9).all()


def test_cosim_identical_maps_give_zero():
    rep = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    assert cosim_loss(rep, rep.clone(), identity_flow(2, 32, 32)).item() == pytest.approx(0, abs=1e-6)
    loss = MODELS.build(dict(type='R2D2CosimLoss', n=16))
    assert loss(rep, rep, identity_flow(2, 32, 32)).item() == pytest.approx(0, abs=1e-6)


def test_cosim_warp_needs_align_corners_true():
    """A flipped map with the flip as flow is matched exactly only with align_corners=True."""
    rep1 = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(1))
    rep2 = rep1.flip(-1)
    flow = identity_flow(1, 32, 32)
    flow[:, 0] = 31 - flow[:, 0]
    assert cosim_loss(rep1, rep2, flow).item() == pytest.approx(0, abs=1e-6)
    # the same grid sampled under the modern default lands between pixels and blurs the map
    warped = F.grid_sample(rep2, aflow_to_grid(flow), padding_mode='border', align_corners=False)
    assert (warped - rep1).abs().mean() > 0.05


def test_cosim_hand_computed_and_masking():
    # N=2 on a 2x2 map: one patch; cos([1,0,0,0], [1,1,0,0]) = 1/sqrt(2)
    r1 = torch.tensor([[[[1., 0.], [0., 0.]]]])
    r2 = torch.tensor([[[[1., 1.], [0., 0.]]]])
    assert cosim_loss(r1, r2, identity_flow(1, 2, 2), n=2).item() == pytest.approx(1 - 1 / math.sqrt(2))
    # NaN flow samples the clamped border (official) unless masked; masking drops the touched patches
    rep = torch.rand(1, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    flow = identity_flow(1, 8, 8)
    flow[:, :, :4, :4] = float('nan')  # top-left quadrant unmatched
    official = cosim_loss(rep, rep, flow, n=4)
    assert official.item() > 1e-3
    # 4x4 patches at stride 2 (3x3 of them): the 5 starting at (0,4), (2,4), (4,0), (4,2), (4,4) miss
    # the NaN quadrant and match exactly
    assert cosim_loss(rep, rep, flow, n=4, mask_invalid=True).item() == pytest.approx(0, abs=1e-6)


def test_peaky_hand_computed():
    # 1x1 map v, N=2: 3x3 pre-smoothing with zero padding gives v/9; max over 3x3 = v/9,
    # mean over 3x3 with zero padding counted = v/81 -> loss = 1 - (v/9 - v/81) = 1 - 8v/81
    v = 0.81
    assert peaky_loss(torch.full((1, 1, 1, 1), v), n=2).item() == pytest.approx(1 - 8 * v / 81)
    # an explicit loop over windows on a small random map (N=2, windows of 3)
    torch.manual_seed(0)
    s = torch.rand(5, 6)
    sp = F.pad(s, (1, 1, 1, 1))
    sm = torch.stack([torch.stack([sp[i:i + 3, j:j + 3].sum() / 9 for j in range(6)]) for i in range(5)])
    spm, spa = F.pad(sm, (1, 1, 1, 1), value=-math.inf), F.pad(sm, (1, 1, 1, 1))
    diff = torch.stack([torch.stack([spm[i:i + 3, j:j + 3].max() - spa[i:i + 3, j:j + 3].sum() / 9 for j in range(6)])
                        for i in range(5)])
    assert peaky_loss(s[None, None], n=2).item() == pytest.approx(1 - diff.mean().item(), abs=1e-6)


def test_peaky_prefers_peaks_and_pair_average():
    flat = torch.full((1, 1, 64, 64), 0.5)
    peaks = torch.zeros(1, 1, 64, 64)
    for i in range(8, 64, 16):  # 3x3 blobs every 16 px: every 17x17 window holds one
        for j in range(8, 64, 16):
            peaks[..., i - 1:i + 2, j - 1:j + 2] = 1
    assert peaky_loss(peaks).item() < 0.05 and peaky_loss(flat).item() > 0.9
    loss = MODELS.build(dict(type='R2D2PeakyLoss', n=16))
    assert loss(flat, peaks).item() == pytest.approx((peaky_loss(flat) + peaky_loss(peaks)).item() / 2)


def test_soft_bins():
    nq = 20
    x = torch.linspace(-1.5, 2, 301)[None]
    w = soft_bin_weights(x, nq)
    assert w.shape == (1, nq, 301)
    torch.testing.assert_close(w.sum(dim=1), torch.ones(1, 301))  # partition of unity, saturated ends
    centres = torch.tensor([(nq - 1 - k) / (nq - 1) for k in range(nq)])[None]  # c_0 = 1 ... c_19 = 0
    torch.testing.assert_close(soft_bin_weights(centres, nq)[0], torch.eye(nq))
    half = soft_bin_weights(torch.tensor([[1 - 0.5 / 19]]), nq)[0, :, 0]
    torch.testing.assert_close(half[:3], torch.tensor([0.5, 0.5, 0.]))
    assert soft_bin_weights(torch.tensor([[-0.7]]), nq)[0, -1, 0] == 1  # negatives fall in the lowest bin


def test_average_precision_values():
    c = lambda k: (19 - k) / 19  # noqa: E731  (bin centres)
    # a perfect ranking: AP = 1
    scores = torch.tensor([[0.95, 0.9, 0.2, 0.1, -0.5], [1.0, 0.6, 0.5, 0.3, 0.0]])
    labels = torch.tensor([[1, 1, 0, 0, 0], [1, 0, 0, 0, 0]], dtype=torch.bool)
    torch.testing.assert_close(average_precision(scores, labels), torch.ones(2))
    # P N P at bin centres: AP = (1/1 + 2/3) / 2; a positive ranked last behind one negative: 1/2
    ap = average_precision(torch.tensor([[c(0), c(5), c(10)], [c(0), c(19), c(19) + 0]]),
                           torch.tensor([[1, 0, 1], [0, 1, 0]], dtype=torch.bool))
    assert ap[0].item() == pytest.approx(5 / 6)
    # row 2: negative at 1 and a positive tied with a negative in the lowest bin: prec = 1/3
    assert ap[1].item() == pytest.approx(1 / 3)
    # raising the positive's score raises AP
    # raising the positive raises AP, raising a negative of its bin lowers it; a negative in bins
    # strictly above the positive's has no gradient (the quantisation is flat there)
    s = torch.tensor([[0.3, 0.29, 0.6]], requires_grad=True)
    average_precision(s, torch.tensor([[True, False, False]])).sum().backward()
    assert s.grad[0, 0] > 0 and s.grad[0, 1] < 0 and s.grad[0, 2] == 0


def test_disk_offsets_counts():
    assert disk_offsets(3).shape == (2, 29)
    near = disk_offsets(7, inner=5)
    assert near.shape == (2, 80)
    d2 = (near**2).sum(0)
    assert d2.min() == 25 and d2.max() == 49


def test_sampler_geometry_and_positives():
    torch.manual_seed(0)
    B, H, W = 2, 48, 48
    sampler = TASK_UTILS.build(dict(type='R2D2NghSampler', border=16, maxpool_pos=False))
    assert sampler.positions(-8, 8, 192, 192, 'cpu')[3] == (8, 400)  # 160^2 / 64 queries per 192^2 crop
    desc = F.normalize(torch.randn(B, 16, H, W), dim=1)
    flow = identity_flow(B, H, W) + torch.tensor([2., -1.])[None, :, None, None]
    desc2 = torch.roll(desc, shifts=(-1, 2), dims=(2, 3))  # image 2 = image 1 moved by (+2, -1)
    rel = torch.rand(B, 1, H, W)
    out = sampler(desc, desc2, flow, rel, rel, generator=torch.Generator().manual_seed(0))
    n = (H - 32) * (W - 32) // 64
    q = out['query_xy']
    assert q.shape == (B * n, 2) and ((q >= 16) & (q < 32)).all()
    torch.testing.assert_close(q[:n], q[n:])  # the same positions in every image of the batch
    d = (out['pos_xy'] - (q + torch.tensor([2, -1]))[:, None]).float().norm(dim=-1)
    assert out['pos_xy'].shape == (B * n, 29, 2) and (d <= 3).all()  # positives lie within pos_d
    assert out['scores'].shape == (B * n, 29 + 80 + B * n)
    assert out['labels'][:, :29].all() and not out['labels'][:, 29:].any()
    assert out['mask'].all()
    # the positive at the exact match has score 1 (the same descriptor moved)
    centre = (d == 0).float().argmax(dim=1)
    torch.testing.assert_close(out['scores'].gather(1, centre[:, None])[:, 0], torch.ones(B * n))


def test_sampler_maxpool_qconf_and_distractors():
    B, H, W = 2, 48, 48
    sampler = R2D2NghSampler(border=16)
    f1 = torch.zeros(B, 4, H, W)
    f1[:, 0] = 1
    f2 = torch.zeros(B, 4, H, W)
    f2[:, 1] = 1
    flow = identity_flow(B, H, W)
    # the matching descriptor sits at offset (+2, +1) from every query's ground truth
    _, y1, x1, _ = sampler.positions(-8, B, H, W, 'cpu', generator=torch.Generator().manual_seed(0))
    f2[0, :, y1 + 1, x1 + 2] = torch.tensor([1., 0, 0, 0])[:, None]
    rel1, rel2 = torch.full((B, 1, H, W), 0.2), torch.full((B, 1, H, W), 0.6)
    rel2[0, 0, y1 + 1, x1 + 2] = 1.0
    out = sampler(f1, f2, flow, rel1, rel2, generator=torch.Generator().manual_seed(0))
    q, n = out['query_xy'], len(x1) // B
    torch.testing.assert_close(out['pos_xy'][:n, 0], q[:n] + torch.tensor([2, 1]))
    torch.testing.assert_close(out['scores'][:n, 0], torch.ones(n))
    torch.testing.assert_close(out['qconf'][:n], torch.full((n, ), 0.6))  # (0.2 + 1.0) / 2
    assert (out['scores'][n:, 0] == 0).all()  # image 2 of the second pair has no match descriptor
    # distractors of the same image within neg_d of the match are zeroed but kept as negatives;
    # distractors of the other image always count: with all-equal unit descriptors every other score is 1
    same = torch.full((B, 4, H, W), 0.5)
    out = sampler(same, same, flow, generator=torch.Generator().manual_seed(1))
    dis, dxy, db = out['scores'][:, 1 + 80:], out['distractor_xy'], out['distractor_batch']
    assert dis.shape == (B * n, B * n) and (db == torch.arange(B).repeat_interleave(n)).all()
    qb = torch.arange(B).repeat_interleave(n)
    d2 = ((dxy[None] - out['query_xy'][:, None])**2).sum(-1)
    zeroed = (d2 < 25) & (db[None] == qb[:, None])
    assert zeroed.any() and (~zeroed).any()
    torch.testing.assert_close(dis, torch.where(zeroed, 0., 1.))


def test_sampler_mask_nan_and_rounding():
    sampler = R2D2NghSampler(border=16, subq=8, subd_neg=0)  # a regular 8-px grid of queries
    H = W = 48
    flow = identity_flow(1, H, W)
    flow[0, :, 16, 16] = float('nan')
    flow[0, :, 16, 24] = torch.tensor([-1.2, 5.])  # rounds to 0 (int cast of -0.7): inside, as officially
    flow[0, :, 24, 16] = torch.tensor([47.6, 5.])  # rounds to 48: outside image 2
    desc = F.normalize(torch.randn(1, 8, H, W), dim=1)
    out = sampler(desc, desc, flow)
    q = out['query_xy'].tolist()
    assert q == [[16, 16], [24, 16], [16, 24], [24, 24]]
    assert out['mask'].tolist() == [False, True, False, True]
    assert out['scores'].shape == (4, 81)


def test_reliability_loss_values():
    assert reliability_ap_loss(torch.tensor(1.), torch.tensor(1.)).item() == 0
    assert reliability_ap_loss(torch.tensor(0.5), torch.tensor(1.)).item() == 0.5
    assert reliability_ap_loss(torch.tensor(0.2), torch.tensor(0.)).item() == 0.5  # 1 - kappa
    # identity flow and distinct random descriptors: AP = 1 everywhere -> loss = 1 - R - 0.5 (1 - R)
    torch.manual_seed(0)
    B, H, W = 2, 48, 48
    desc = F.normalize(torch.randn(B, 128, H, W), dim=1)
    loss = MODELS.build(dict(type='R2D2ReliabilityLoss'))
    full = torch.ones(B, 1, H, W)
    assert loss(desc, desc, full, full, identity_flow(B, H, W)).item() == pytest.approx(0, abs=1e-6)
    half = full / 2
    assert loss(desc, desc, half, half, identity_flow(B, H, W)).item() == pytest.approx(0.25, abs=1e-6)
    # plain 1 - AP (kappa=None); unmatched everywhere -> 0 and still differentiable
    plain = MODELS.build(dict(type='R2D2ReliabilityLoss', kappa=None))
    d = desc.clone().requires_grad_()
    out = plain(d, desc, half, half, torch.full((B, 2, H, W), float('nan')))
    out.backward()
    assert out.item() == 0 and d.grad is not None


def test_reliability_loss_gradient_improves_ap():
    torch.manual_seed(0)
    B, H, W = 1, 40, 40
    d1 = torch.randn(B, 8, H, W, requires_grad=True)
    d2 = F.normalize(torch.randn(B, 8, H, W), dim=1)
    rel = torch.full((B, 1, H, W), 0.9)
    loss_fn = MODELS.build(dict(type='R2D2ReliabilityLoss'))
    opt = torch.optim.Adam([d1], lr=0.1)
    losses = []
    for _ in range(4):
        opt.zero_grad()
        loss = loss_fn(F.normalize(d1, dim=1), d2, rel, rel, identity_flow(B, H, W),
                       generator=torch.Generator().manual_seed(0))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    # from a random start to AP = 1 on every query, where the loss is 1 - 0.9 - 0.5 * 0.1 = 0.05
    assert losses[0] > 0.15 and losses[-1] == pytest.approx(0.05, abs=1e-3)
