"""D2Net model: shapes, stream independence, x_ref buffer and update, loss schedule, predict."""
import math

import torch
from mmengine.structures import BaseDataElement

from wsl.registry import MODELS


def _model(**kw):
    cfg = dict(type='D2Net', streams=dict(type='TwoStreamTCN', num_classes=3, in_channels=16), **kw)
    return MODELS.build(cfg)


def _samples(labels):
    return [BaseDataElement(gt_label=torch.tensor(y, dtype=torch.float32)) for y in labels]


def test_tensor_mode_shapes_and_tcam_is_mean_of_sigmoids():
    torch.manual_seed(0)
    m = _model().eval()
    out = m(torch.randn(2, 11, 16), mode='tensor')
    assert out['tcam'].shape == (2, 11, 3) and out['embeddings'].shape == (2, 11, 8)
    assert out['logits'].shape == (2, 11, 2, 3)
    torch.testing.assert_close(out['tcam'], out['logits'].sigmoid().mean(dim=2))
    # ActivityNet geometry (k=5, d=2 everywhere) keeps the length
    anet = MODELS.build(dict(type='TwoStreamTCN', num_classes=4, in_channels=16, kernel_size=5, dilation=2,
                             cls_kernel_size=5, cls_dilation=2))
    assert anet(torch.randn(1, 9, 16))['tcam'].shape == (1, 9, 4)


def test_streams_are_independent():
    torch.manual_seed(0)
    m = _model().eval()
    x = torch.randn(1, 7, 16)
    y = x.clone()
    y[..., 8:] = torch.randn(1, 7, 8)  # change only the flow half
    a, b = m.streams(x)['logits'], m.streams(y)['logits']
    torch.testing.assert_close(a[:, :, 0], b[:, :, 0])  # RGB stream logits unchanged
    assert not torch.allclose(a[:, :, 1], b[:, :, 1])


def test_x_ref_is_a_saved_buffer_and_update_matches_the_rule():
    m = _model(xref_momentum=0.1)
    assert 'x_ref' in m.state_dict() and all(n != 'x_ref' for n, _ in m.named_parameters())
    tcam = torch.tensor([[[0.9, 0.1, 0.0], [0.2, 0.1, 0.0], [0.6, 0.0, 0.0], [0.7, 0.0, 0.0], [0.8, 0.0, 0.0]]])
    emb = torch.arange(5 * 8, dtype=torch.float32).reshape(1, 5, 8)
    m.update_x_ref(tcam, emb, torch.tensor([[1.0, 0, 0]]), torch.tensor([5]))
    torch.testing.assert_close(m.x_ref, 0.1 * emb[0, 1])  # most-background snippet: λ = 0.2 at t1
    m.update_x_ref(tcam, emb, torch.tensor([[1.0, 0, 0]]), torch.tensor([5]))
    torch.testing.assert_close(m.x_ref, 0.19 * emb[0, 1])
    # round trip through the state dict
    m2 = _model()
    m2.load_state_dict(m.state_dict())
    torch.testing.assert_close(m2.x_ref, m.x_ref)


def test_loss_mode_schedule_and_gradient_flow():
    torch.manual_seed(0)
    m = _model(denoise_start_iter=1000, denoise_interval=2)
    assert [m.denoise_active(i) for i in (999, 1000, 1001, 1002)] == [False, False, False, True]
    x = torch.randn(3, 12, 16)
    x[2, 9:] = 0  # a padded video
    samples = _samples([[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    losses = m(x, samples, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_snippet', 'loss_video'}
    assert float(losses['loss_snippet']) == 0.0 and float(losses['loss_video']) == 0.0
    assert float(m.x_ref.abs().sum()) > 0  # x_ref updates from iteration 0
    m.denoise_start_iter, m.denoise_interval = -1, 1
    losses = m(x, samples, mode='loss')
    total = sum(losses.values())
    assert all(torch.isfinite(v) for v in losses.values()) and float(losses['loss_video']) > 0
    total.backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name
    # lists of un-padded videos give the same padded batch
    feats, lengths = m.pad_inputs([x[0], x[1], x[2, :9]])
    assert lengths.tolist() == [12, 12, 9] and torch.equal(feats, x)


def test_baseline_losses_plug_into_the_model():
    m = _model(loss_cls=dict(type='TopKBCELoss'), loss_snippet=dict(type='SnippetDenoiseLoss', kind='bce'),
               loss_video=None, denoise_start_iter=-1, denoise_interval=1)
    losses = m(torch.randn(2, 10, 16), _samples([[1, 0, 0], [0, 1, 0]]), mode='loss')
    assert set(losses) == {'loss_cls', 'loss_snippet'} and torch.isfinite(sum(losses.values()))


def test_predict_runs_each_video_at_its_length_and_reports_seconds():
    torch.manual_seed(0)
    m = _model(test_cfg=dict(return_cams=True)).eval()
    m.x_ref.copy_(torch.randn(8))
    x = torch.randn(2, 20, 16)
    x[1, 14:] = 0
    samples = m(x, _samples([[1, 0, 0], [0, 1, 0]]), mode='predict')
    single = m.predict_video(x[1, :14])
    assert samples[1].tcam.shape == (14, 3)
    torch.testing.assert_close(samples[1].tcam, torch.from_numpy(single['tcam']))
    segs = samples[1].pred_instances.segments
    torch.testing.assert_close(segs, torch.from_numpy(single['segments'] * 0.64).float())
    # λ' = (1 - cos(x, x_ref)) / 2 from the pre-dropout embeddings
    emb = m.streams(x[1:2, :14])['embeddings'][0]
    lam = (1 - torch.nn.functional.cosine_similarity(emb, m.x_ref[None], dim=-1)) / 2
    torch.testing.assert_close(samples[1].lambda_prime, lam)
    assert math.isclose(float(lam.min()), float(single['lambda_prime'].min()), rel_tol=1e-5)
