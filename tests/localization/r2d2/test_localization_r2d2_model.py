"""The R2D2 MMEngine model: preprocessing, checkpoint compatibility, losses, a Runner step, predict."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper
from mmengine.structures import BaseDataElement

from wsl.localization.r2d2.convert import load_wsl_state
from wsl.localization.r2d2.extract import extract_multiscale
from wsl.localization.r2d2.homography import homography_aflow
from wsl.localization.r2d2.net import R2D2Net
from wsl.registry import MODELS

H_SMALL = np.array([[1.02, 0.03, 1.5], [-0.02, 0.98, 2.0], [1e-4, -1e-4, 1.0]])


def texture(size=64, seed=0):
    """A smooth random colour texture, (size, size, 3) uint8."""
    rng = np.random.default_rng(seed)
    small = (rng.random((size // 4, size // 4, 3)) * 255).astype(np.uint8)
    return cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)


def make_pair(H=H_SMALL, size=64, seed=0):
    img1 = texture(size, seed)
    img2 = cv2.warpPerspective(img1, H, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    pair = torch.from_numpy(np.stack([img1, img2])).permute(0, 3, 1, 2)  # (2, 3, H, W) uint8 RGB
    return dict(inputs=pair, data_samples=BaseDataElement(aflow=homography_aflow(H, size, size)))


def test_homography_aflow():
    flow = homography_aflow(np.eye(3), 4, 5)
    assert flow.shape == (2, 4, 5) and flow[0, 2, 3] == 3 and flow[1, 2, 3] == 2
    t = np.array([[1., 0, 3], [0, 1, 2], [0, 0, 1]])
    img = texture(32)
    warped = cv2.warpPerspective(img, t, (32, 32))
    flow = homography_aflow(t, 32, 32)
    assert flow[0, 5, 7] == 10 and flow[1, 5, 7] == 7
    np.testing.assert_array_equal(warped[7, 10], img[5, 7])  # image 2 at aflow(x, y) is image 1 at (x, y)
    p = np.array([[1., 0, 0], [0, 1, 0], [-0.5, 0, 1]])  # the column x = 2 goes to infinity
    flow = homography_aflow(p, 3, 4)
    assert torch.isnan(flow[:, :, 2]).all() and flow[0, 1, 1] == pytest.approx(2.0)


def test_preprocessor_normalises_pairs():
    pre = MODELS.build(dict(type='R2D2PairDataPreprocessor'))
    data = pseudo_collate([make_pair(seed=0), make_pair(seed=1)])
    out = pre(data, training=True)
    x = out['inputs']
    assert x.shape == (2, 2, 3, 64, 64)
    raw = data['inputs'][1][0, :, 3, 4].float()
    exp = (raw - torch.tensor([123.675, 116.28, 103.53])) / torch.tensor([58.395, 57.12, 57.375])
    torch.testing.assert_close(x[1, 0, :, 3, 4], exp)
    bgr = MODELS.build(dict(type='R2D2PairDataPreprocessor', bgr_to_rgb=True))(data)['inputs']
    torch.testing.assert_close(bgr[1, 0, :, 3, 4], (raw.flip(0) - torch.tensor([123.675, 116.28, 103.53])) /
                               torch.tensor([58.395, 57.12, 57.375]))
    with pytest.raises(ValueError, match=r'\(2, 3, H, W\) pairs'):
        pre(dict(inputs=[torch.zeros(1, 8, 8)]))


def test_model_shares_the_converted_checkpoint_layout():
    torch.manual_seed(0)
    net = R2D2Net().eval()
    model = MODELS.build(dict(type='R2D2')).eval()
    model.load_state_dict(net.state_dict(), strict=True)  # same keys: trunk.*, head.*
    img = torch.randn(1, 3, 24, 28)
    out, ref = model(img, mode='tensor'), net(img)
    for k in ref:
        torch.testing.assert_close(out[k], ref[k])


def test_loss_values_and_identity_pair():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='R2D2')).train()
    data = model.data_preprocessor(pseudo_collate([make_pair(seed=0), make_pair(seed=1)]), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_reliability', 'loss_cosim16', 'loss_peaky16'}
    assert 0 < losses['loss_reliability'].item() < 1 and 0 < losses['loss_cosim16'].item() < 1
    assert 0 < losses['loss_peaky16'].item() < 1
    # image 2 = image 1 with the identity flow: both repeatability maps agree -> zero cosim loss
    same = make_pair(np.eye(3))
    same['inputs'] = same['inputs'][:1].repeat(2, 1, 1, 1)
    data = model.data_preprocessor(pseudo_collate([same]), training=True)
    assert model(**data, mode='loss')['loss_cosim16'].item() == pytest.approx(0, abs=1e-6)
    with pytest.raises(ValueError, match='"aflow"'):
        model(data['inputs'], [BaseDataElement()], mode='loss')
    with pytest.raises(ValueError, match='unknown mode'):
        model(data['inputs'], mode='train')


def test_train_step_updates_weights():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='R2D2')).train()
    wrapper = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=5e-4))
    before = model.trunk.layers[0].conv.weight.detach().clone()
    batch = pseudo_collate([make_pair(size=48, seed=0)])
    log = model.train_step(batch, wrapper)
    assert set(log) == {'loss', 'loss_reliability', 'loss_cosim16', 'loss_peaky16'}
    assert log['loss'].item() == pytest.approx(sum(log[k].item() for k in log if k != 'loss'), rel=1e-6)
    assert not torch.equal(before, model.trunk.layers[0].conv.weight)


def test_predict_extracts_and_rescales():
    torch.manual_seed(0)
    cfg = dict(top_k=20, rel_thr=0., rep_thr=0., min_size=16)
    model = MODELS.build(dict(type='R2D2', extract_cfg=cfg)).eval()
    img = torch.from_numpy(texture(48)).permute(2, 0, 1)
    sample = BaseDataElement(metainfo=dict(scale_factor=(2., 4.)))
    data = model.data_preprocessor(dict(inputs=[img], data_samples=[sample]))
    with torch.no_grad():
        pred = model(**data, mode='predict')[0].pred_instances
        ref = extract_multiscale(model.maps, data['inputs'], **cfg)
    assert len(pred) == 20
    torch.testing.assert_close(pred.keypoints, ref['keypoints'][:, :2] / torch.tensor([2., 4.]))
    torch.testing.assert_close(pred.scales, ref['keypoints'][:, 2])
    torch.testing.assert_close(pred.descriptors, ref['descriptors'])
    with pytest.raises(ValueError, match='unknown extract_cfg'):
        MODELS.build(dict(type='R2D2', extract_cfg=dict(topk=3)))


def test_runner_trains_two_iterations(tmp_path):
    from mmengine.runner import Runner
    from torch.utils.data import DataLoader
    pairs = [make_pair(size=48, seed=s) for s in range(2)]
    loader = DataLoader(pairs, batch_size=1, shuffle=False, collate_fn=pseudo_collate)
    runner = Runner(
        model=dict(type='R2D2'), work_dir=str(tmp_path), train_dataloader=loader,
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=2),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-4, weight_decay=5e-4)),  # R2D2's schedule
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1),
                           checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False)),
        default_scope='wsl', randomness=dict(seed=0), log_level='WARNING')
    runner.train()
    path = str(tmp_path / 'iter_2.pth')
    state, _ = load_wsl_state(path)  # a Runner checkpoint loads through the safe allow-list
    R2D2Net().load_state_dict(state, strict=True)  # a trained checkpoint extracts with R2D2Net too
    assert runner.iter == 2
    logged = runner.message_hub.log_scalars
    assert {'train/loss_reliability', 'train/loss_cosim16', 'train/loss_peaky16'} <= set(logged)
