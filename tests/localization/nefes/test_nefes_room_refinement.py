"""Refinement on the synthetic room: frame conventions, exact-renderer loss landscape, gradients, calibration."""
import logging
import os.path as osp
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from wsl.datasets.synthetic.room import (_shade, cast_rays, make_room_dataset, make_room_scene, render_views,
                                         render_views_torch, room_camera_path)
from wsl.localization.nefes.calibration_hook import NeFeSFeatureCalibrationHook
from wsl.localization.nefes.dfnet import DFNet
from wsl.localization.nefes.feature_matching import per_channel_cosine_loss
from wsl.localization.nefes.grid_field import NeFeSGridField
from wsl.localization.nefes.model import NeFeSModel
from wsl.localization.nefes.pose import apply_pose_correction, so3_exp
from wsl.localization.nefes.rays import generate_rays
from wsl.localization.nefes.renderer import NeFeSRenderer
from wsl.localization.nefes.scene_frames import NeFeSSceneSetup
from wsl.localization.nefes.seven_scenes import SevenScenesNeFeSDataset

FLIP = torch.diag(torch.tensor([1.0, -1.0, -1.0], dtype=torch.float64))  # APR frame <-> room frame


def test_torch_room_renderer_matches_the_numpy_one_and_has_pose_gradients():
    scene = make_room_scene(0)
    poses = room_camera_path('test', 2, seed=0)
    ref, _ = render_views(scene, poses, 9, 12, 585 * 9 / 480, supersample=2)
    c2w = torch.tensor(poses, requires_grad=True)
    img = render_views_torch(scene, c2w, 9, 12, 585 * 9 / 480, supersample=2)
    assert img.shape == (2, 3, 9, 12) and np.abs(img.detach().permute(0, 2, 3, 1).numpy() - ref).max() < 1e-12
    img.sum().backward()
    assert torch.isfinite(c2w.grad).all() and c2w.grad.abs().sum() > 0
    axis_aligned = np.array([[[1.0, 0, 0, 0.3], [0, 1, 0, 1.0], [0, 0, 1, 0.2]]])  # rays with exact zeros
    ref, _ = render_views(scene, axis_aligned, 6, 8, 4.0, supersample=1)
    img = render_views_torch(scene, torch.tensor(axis_aligned), 6, 8, 4.0, supersample=1)
    assert np.abs(img.permute(0, 2, 3, 1).numpy() - ref).max() < 1e-12


def test_nefes_rays_at_loaded_apr_poses_reproduce_the_stored_images(tmp_path):
    """generate_rays + APR -> NeRF frame + the loader's axis fix agree with the generator's camera model."""
    meta = make_room_dataset(str(tmp_path), num_train=3, num_test=2, height=12, width=16, supersample=1)
    setup = dict(meta['scene_setup'], pose_scale=0.5, move_all_cam_vec=[0.1, 0.0, -0.2])  # NeRF frame != APR frame
    np.savetxt(tmp_path / 'identity.txt', np.eye(3, 4))  # as prepare_room: APR frame = room frame turned about x
    ds = SevenScenesNeFeSDataset(scene='room', data_root=str(tmp_path / 'room'), split='test', img_height=12,
                                 scene_setup=setup, pose_avg_file=str(tmp_path / 'identity.txt'))
    scene = make_room_scene(0)
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        nerf = torch.as_tensor(info['pose_nerf'], dtype=torch.float64)[None]
        o, d = generate_rays(ds.scene_setup.to_apr(nerf), 12, 16, info['focal'])  # back to metres (APR frame)
        o_room, d_room = (o[0] @ FLIP.T).numpy(), (d[0] @ FLIP.T).numpy()
        _, points, face = cast_rays(scene, o_room, d_room)
        img = np.asarray(Image.open(info['img_path'])) / 255.0
        assert np.abs(_shade(scene, points, face).reshape(12, 16, 3) - img).max() <= 0.5 / 255 + 1e-6
        exact = render_views_torch(scene, FLIP @ torch.as_tensor(info['pose'], dtype=torch.float64)[None], 12, 16,
                                   info['focal'], supersample=1)
        assert np.abs(exact[0].permute(1, 2, 0).numpy() - img).max() <= 0.5 / 255 + 1e-6


def _interpolate(a, b, s):
    """Pose a fraction s of the way from a to b (geodesic rotation, linear centre); (N, 3, 4)."""
    rel = b[:, :, :3] @ a[:, :, :3].transpose(1, 2)
    angle = torch.arccos(((rel.diagonal(dim1=1, dim2=2).sum(-1) - 1) / 2).clamp(-1, 1))
    v = torch.stack([rel[:, 2, 1] - rel[:, 1, 2], rel[:, 0, 2] - rel[:, 2, 0], rel[:, 1, 0] - rel[:, 0, 1]], -1)
    rotvec = v / (2 * torch.sin(angle)[:, None]) * angle[:, None]
    return torch.cat([so3_exp(rotvec * s) @ a[:, :, :3], (a[:, :, 3] + s * (b[:, :, 3] - a[:, :, 3]))[..., None]], -1)


def test_exact_renderer_losses_are_minimal_at_the_true_pose():
    """On exact renders of the room, both refinement losses vanish at the true pose and grow away from it."""
    from wsl.benchmarks.nefes import perturb_poses
    scene, h, w = make_room_scene(0), 24, 32
    focal = 585 * h / 480
    gt = FLIP @ torch.tensor(room_camera_path('test', 6, seed=0)[[0, 3]])  # APR frame
    init = perturb_poses(gt, 3.0, 0.12, seed=1)
    torch.manual_seed(0)
    dfnet = DFNet(feature_channels=16).double().eval()
    dfnet.calibrate_feature_norm([render_views_torch(scene, torch.tensor(room_camera_path('train', 8)), h, w, focal)])
    with torch.no_grad():
        target = render_views_torch(scene, FLIP @ gt, h, w, focal)
        target_feat = dfnet.extract_features(target, levels=(0, ))[0]
        steps = (0.0, 0.5, 0.8, 1.0, 1.2, 1.5)
        photo, feat = [], []
        for s in steps:
            img = render_views_torch(scene, FLIP @ _interpolate(init, gt, s), h, w, focal)
            photo.append((img - target).square().flatten(1).mean(1))
            f = dfnet.extract_features(img, levels=(0, ))[0]
            feat.append(torch.stack([per_channel_cosine_loss(f[i:i + 1], target_feat[i:i + 1]) for i in range(2)]))
    for curve in (torch.stack(photo).T, torch.stack(feat).T):  # (frames, steps)
        assert torch.allclose(curve[:, 3], torch.zeros(2, dtype=curve.dtype), atol=1e-9)
        assert (curve[:, :3].diff(dim=1) < 0).all() and (curve[:, 3:].diff(dim=1) > 0).all()
        assert (curve[:, 0] > 1e-3).all()


class _TexturedFog(torch.nn.Module):
    """Constant density carrying a smooth 3-D colour/feature texture (pose gradients are exact)."""

    def __init__(self, channels=6):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.freq = torch.randn(channels, 3, generator=g, dtype=torch.float64)
        self.phase = torch.rand(channels, generator=g, dtype=torch.float64) * 2 * math.pi

    def forward(self, xyz, viewdirs=None):
        out = dict(sigma=torch.ones(xyz.shape[:-1], dtype=xyz.dtype))
        if viewdirs is not None:
            feat = torch.sin(xyz @ self.freq.T + self.phase)
            out.update(feat=feat, rgb=feat[..., :3])
        return out


def test_refinement_gradient_through_frames_and_renderer_matches_finite_differences():
    """Correction (APR frame) -> NeRF frame (scale, shift) -> rays -> detached-weight features -> cosine loss."""
    scene = NeFeSSceneSetup(near=0.0, far=3.0, pose_scale=0.5, move_all_cam_vec=(0.1, 0.0, 0.5))
    field, renderer, h, w, focal = _TexturedFog(), NeFeSRenderer(8, 8, use_transient=False), 6, 8, 6.0

    def loss(pose, rotvec, trans, target=None):
        o, d = generate_rays(scene.to_nerf(apply_pose_correction(pose, rotvec, trans)), h, w, focal)
        out = renderer(field, field, o.reshape(-1, 3), d.reshape(-1, 3), scene.near, scene.far, False, False)
        feat = out['feat'].reshape(1, h, w, -1).permute(0, 3, 1, 2)
        return feat if target is None else per_channel_cosine_loss(feat, target)

    gt = torch.cat([so3_exp(torch.tensor([[0.1, -0.2, 0.05]], dtype=torch.float64)),
                    torch.tensor([[[0.3], [0.1], [0.6]]], dtype=torch.float64)], -1)
    zero = torch.zeros(1, 3, dtype=torch.float64)
    target = loss(gt, zero, zero).detach()
    init = torch.cat([so3_exp(torch.tensor([[0.03, 0.01, -0.02]], dtype=torch.float64)) @ gt[..., :3],
                      gt[..., 3:] + torch.tensor([[[0.05], [-0.04], [0.03]]], dtype=torch.float64)], -1)
    rotvec, trans = zero.clone().requires_grad_(), zero.clone().requires_grad_()
    loss(init, rotvec, trans, target).backward()
    auto = torch.cat([rotvec.grad, trans.grad], 1)[0]
    numeric = torch.zeros(6, dtype=torch.float64)
    for j in range(6):
        for sign in (1, -1):
            delta = torch.zeros(6, dtype=torch.float64)
            delta[j] = sign * 1e-6
            with torch.no_grad():
                numeric[j] += sign * loss(init, delta[None, :3], delta[None, 3:], target) / 2e-6
    assert auto.abs().max() > 1e-3
    assert torch.allclose(auto, numeric, rtol=1e-5, atol=1e-8)


def test_dfnet_feature_calibration_sets_exact_statistics_and_restores_modes():
    torch.manual_seed(0)
    dfnet = DFNet(feature_channels=8).eval()
    imgs = torch.rand(4, 3, 16, 16)
    bn = dfnet.adaptation[0][-1]
    with torch.no_grad():
        pre = dfnet.adaptation[0][:-1](dfnet._run(imgs, DFNet.TAPS[0])[0])  # head before its BatchNorm
    assert dfnet.calibrate_feature_norm([imgs[:2], imgs[2:]]) == 4
    assert not bn.training and bn.momentum == 0.1  # modes restored
    # equal batches: the running mean is the mean over all images; the variance the mean of batch variances
    assert torch.allclose(bn.running_mean, pre.mean((0, 2, 3)), atol=1e-6)
    var = torch.stack([pre[:2].transpose(0, 1).flatten(1).var(1), pre[2:].transpose(0, 1).flatten(1).var(1)])
    assert torch.allclose(bn.running_var, var.mean(0), rtol=1e-5)
    with torch.no_grad():
        feat = dfnet.extract_features(imgs, levels=(0, ))[0]
    assert feat.mean((0, 2, 3)).abs().max() < 1e-4  # zero-mean channels after calibration
    with pytest.raises(ValueError, match='no images'):
        dfnet.calibrate_feature_norm([])


def test_calibration_hook_runs_once_at_the_start():
    torch.manual_seed(0)
    imgs = [torch.rand(3, 16, 16) for _ in range(4)]
    model = SimpleNamespace(feature_extractor=DFNet(feature_channels=8).eval(),
                            data_preprocessor=lambda data, training: data)
    runner = SimpleNamespace(model=model, iter=3, logger=logging.getLogger('test'),
                             train_dataloader=[dict(inputs=imgs[:2], data_samples=[]),
                                               dict(inputs=imgs[2:], data_samples=[])])
    hook = NeFeSFeatureCalibrationHook(max_batches=1)
    bn = model.feature_extractor.adaptation[0][-1]
    hook.before_train(runner)  # resumed run: keeps the checkpoint's statistics
    assert torch.equal(bn.running_mean, torch.zeros(8))
    runner.iter = 0
    hook.before_train(runner)
    with torch.no_grad():
        pre = model.feature_extractor.adaptation[0][:-1](model.feature_extractor._run(torch.stack(imgs[:2]), 2)[0])
    assert torch.allclose(bn.running_mean, pre.mean((0, 2, 3)), atol=1e-6)  # first batch only


def test_grid_total_variation_prior():
    field = NeFeSGridField(resolutions=(2, ), grid_channels=1, tv_weight=2.0, feature_channels=4)
    with torch.no_grad():
        field.grids[0].zero_()
        assert field.regularization_loss().item() == 0.0
        field.grids[0][0, 0, 1] = 1.0  # the second z-slice: every z-neighbour pair differs by 1
    assert field.regularization_loss().item() == pytest.approx(2.0 * (1.0 + 0.0 + 0.0))
    assert NeFeSGridField(resolutions=(2, ), feature_channels=4).regularization_loss().item() == 0.0
    with pytest.raises(ValueError, match='tv_weight'):
        NeFeSGridField(tv_weight=-1.0)
    grid = dict(type='NeFeSGridField', resolutions=(4, ), grid_channels=2, width=8, geo_channels=3,
                feature_channels=4, tv_weight=0.5)
    torch.manual_seed(0)
    model = NeFeSModel(nefes=dict(coarse=grid, fine=dict(grid, transient=True), fusion=dict(feature_channels=4),
                                  renderer=dict(num_coarse=4, num_fine=4)), rays_per_image=8, render_scale=1)
    samples = [dict(pose_nerf=torch.cat([torch.eye(3), torch.tensor([[0.0], [0.0], [0.5]])], 1),
                    hist=torch.full((10, ), 10.0), focal=8.0, near=0.0, far=1.0)]
    losses = model([torch.rand(3, 8, 8)], samples, mode='loss')
    assert losses['loss_tv_fine'].item() == pytest.approx(model.nefes.fine.regularization_loss().item())
    assert 'loss_tv_coarse' in losses and losses['loss_tv_fine'].requires_grad


def test_two_loop_training_path_and_regenerating_the_room(tmp_path):
    from wsl.localization.nefes.room_setup import prepare_room
    poses = room_camera_path('train', 9, seed=0, inner_radius=0.6)
    assert np.array_equal(poses[:5], room_camera_path('train', 5, seed=0))  # the outer loop is unchanged
    inner, original = poses[5:], room_camera_path('train', 4, seed=100)
    radius = np.linalg.norm(inner[:, [0, 2], 3], axis=1)
    assert np.allclose(radius, 0.6 * np.linalg.norm(original[:, [0, 2], 3], axis=1))
    assert np.allclose(inner[:, 1, 3], original[:, 1, 3])  # same heights
    for a, b in zip(inner, original):  # still looking at the point 2 m ahead of the original camera
        target = b[:, 3] - 2.0 * b[:, 2]
        direction = (target - a[:, 3]) / np.linalg.norm(target - a[:, 3])
        assert np.allclose(-a[:, 2], direction) and np.allclose(a[:, :3] @ a[:, :3].T, np.eye(3))
    with pytest.raises(ValueError, match='inner_radius'):
        room_camera_path('test', 4, inner_radius=0.6)
    root = prepare_room(str(tmp_path), num_train=6, num_test=2, height=6, width=8, supersample=1)
    assert len(list((tmp_path / 'room' / 'seq-01').glob('*.pose.txt'))) == 6
    prepare_room(str(tmp_path), num_train=4, num_test=2, height=6, width=8, supersample=1)  # other settings
    assert len(list((tmp_path / 'room' / 'seq-01').glob('*.pose.txt'))) == 4  # stale frames removed
    assert np.loadtxt(osp.join(root, 'pose_avg_stats.txt')).tolist() == np.eye(3, 4).tolist()


def test_benchmark_loss_helpers_on_exact_renders():
    from wsl.benchmarks.nefes import exact_renderer_losses, frame_losses, perturb_poses
    h, w = 12, 16
    focal = 585 * h / 480
    gt = (FLIP @ torch.tensor(room_camera_path('test', 4, seed=0)[:2])).float()
    torch.manual_seed(0)
    extractor = DFNet(feature_channels=8).eval()
    with torch.no_grad():
        images = render_views_torch(make_room_scene(0), FLIP.float() @ gt, h, w, focal)
        target = extractor.extract_features(images, levels=(0, ))[0]
    at_gt, rendered = exact_renderer_losses(extractor, gt, target, focal, seed=0)
    assert torch.allclose(rendered, images) and np.allclose(at_gt, 0.0, atol=1e-6)
    at_init, _ = exact_renderer_losses(extractor, perturb_poses(gt, 3.0, 0.12, seed=1), target, focal, seed=0)
    assert (at_init > 1e-3).all()
    feat_loss, rgb_loss = frame_losses(lambda pose: dict(feat=target, rgb=images), gt, target, images + 0.1)
    assert np.allclose(feat_loss, 0.0, atol=1e-6) and np.allclose(rgb_loss, 0.01, atol=1e-6)


def test_speed_meter_sees_a_temporary_allocation_and_reports_consistent_numbers():
    import mmap
    import time

    from wsl.localization.nefes.speed import _measure
    from wsl.utils.profiling import SampledPeakMemory  # the meter measure_refinement_speed uses
    size = 40 * 2**20
    with SampledPeakMemory('cpu', interval=1e-3) as mem:
        block = mmap.mmap(-1, size)  # fresh pages, whatever the allocator holds already
        block.write(b'\x01' * size)
        time.sleep(0.05)
        block.close()
    assert mem.peak_mb > 30  # MiB
    res = _measure('grid', (6, 8), iters=1, warmup=0, device='cpu', threads=1)  # in-process, tiny render
    assert res['it_per_s'] * res['sec_per_it'] == pytest.approx(1.0)
    assert res['render_size'] == '6x8' and res['samples_per_ray'] == 128 and res['peak_mem_mb'] >= 0
