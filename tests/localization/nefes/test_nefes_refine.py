"""Test-time refinement on an analytic scene (textured fog) rendered by the NeFeS renderer."""
import math

import pytest
import torch
from torch import nn

from wsl.localization.nefes.feature_matching import crop_border, per_channel_cosine_loss, psnr, ssim
from wsl.localization.nefes.nefes import NeFeS
from wsl.localization.nefes.pose import so3_exp
from wsl.localization.nefes.pose_metric import pose_errors
from wsl.localization.nefes.rays import generate_rays
from wsl.localization.nefes.refine import (NeFeSPoseCorrection, NeFeSQueryRenderer, apr_pose, refine_apr_weights,
                                           refine_pose_direct)
from wsl.localization.nefes.renderer import NeFeSRenderer
from wsl.localization.nefes.scene_frames import NeFeSSceneSetup

H, W, FOCAL = 12, 16, 12.0


class TexturedFog(nn.Module):
    """Homogeneous fog (constant density) carrying a smooth 3-D colour/feature texture.

    Rendered features use stop-gradient weights, so pose gradients only come from the feature values at
    the sample points. With a constant density the weights do not depend on the pose at all, so those
    gradients are exact, and the texture's variation over the whole depth range (parallax) makes all six
    degrees of freedom observable. (An opaque textured plane is not a fair test: with detached weights
    its depth is unobservable from features alone.)
    """

    def __init__(self, channels=8):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.freq = torch.randn(channels, 3, generator=g)
        self.phase = torch.rand(channels, generator=g) * 2 * math.pi

    def forward(self, xyz, viewdirs=None):
        out = dict(sigma=torch.ones(xyz.shape[:-1], dtype=xyz.dtype))
        if viewdirs is not None:
            feat = torch.sin(xyz @ self.freq.T + self.phase)
            out.update(feat=feat, rgb=feat[..., :3], sigma_t=torch.zeros_like(out['sigma']),
                       rgb_t=torch.zeros_like(xyz), beta=torch.zeros_like(out['sigma']))
        return out


def _fog_renderer():
    field, renderer = TexturedFog(), NeFeSRenderer(num_coarse=16, num_fine=16)

    def render(pose):
        o, d = generate_rays(pose, H, W, FOCAL)
        out = renderer(field, field, o.reshape(-1, 3), d.reshape(-1, 3), 0.0, 3.0, perturb=False, coarse_color=False)
        img = lambda x: x.reshape(pose.shape[0], H, W, -1).permute(0, 3, 1, 2)  # noqa: E731
        return dict(feat=img(out['feat']), rgb=torch.sigmoid(img(out['rgb'])))

    return render


def _perturb(pose, rot_deg=3.0, trans=(0.08, -0.05, 0.04)):
    axis = torch.nn.functional.normalize(torch.tensor([0.3, 1.0, -0.4]), dim=0)
    rot = so3_exp(axis * math.radians(rot_deg)) @ pose[0, :, :3]
    return torch.cat([rot, (pose[0, :, 3] + torch.tensor(trans))[:, None]], 1)[None]


GT = torch.cat([so3_exp(torch.tensor([0.1, -0.05, 0.02])), torch.tensor([[0.1], [0.0], [0.2]])], 1)[None]


def test_per_channel_cosine_loss_values():
    f = torch.randn(2, 4, 5, 6)
    assert per_channel_cosine_loss(f, f).item() == pytest.approx(0.0, abs=1e-6)
    scale = torch.arange(1.0, 5.0).view(1, 4, 1, 1)
    assert per_channel_cosine_loss(f * scale, f).item() == pytest.approx(0.0, abs=1e-6)  # per channel, not per pixel
    assert per_channel_cosine_loss(-f, f).item() == pytest.approx(2.0, abs=1e-6)
    a = torch.tensor([1.0, 0.0, 1.0, 0.0]).view(1, 1, 2, 2)
    b = torch.tensor([0.0, 1.0, 0.0, 1.0]).view(1, 1, 2, 2)
    assert per_channel_cosine_loss(torch.cat([a, a], 1), torch.cat([b, a], 1)).item() == pytest.approx(0.5)
    x = torch.arange(36.0).view(1, 1, 6, 6)
    assert crop_border(x, 2).flatten().tolist() == [14.0, 15.0, 20.0, 21.0]
    with pytest.raises(ValueError, match='border'):
        crop_border(x, 3)


def test_psnr_and_ssim_reference_values():
    img = torch.rand(1, 3, 16, 16)
    assert psnr(torch.zeros(1, 3, 4, 4), torch.full((1, 3, 4, 4), 0.1)).item() == pytest.approx(20.0, abs=1e-4)
    assert ssim(img, img).item() == pytest.approx(1.0, abs=1e-6)
    assert ssim(img, 1 - img).item() < 0.5


def test_true_pose_has_zero_loss_and_direct_refinement_pulls_perturbed_pose_back():
    render = _fog_renderer()
    target = render(GT)['feat'].detach()
    assert per_channel_cosine_loss(render(GT)['feat'], target).item() == pytest.approx(0.0, abs=1e-6)
    init = _perturb(GT)
    t0, r0 = pose_errors(init.double(), GT.double())
    assert per_channel_cosine_loss(render(init)['feat'], target).item() > 1e-3
    out = refine_pose_direct(render, init, target, num_iters=40, lr_rot=0.01, lr_trans=0.02)
    t1, r1 = pose_errors(out['pose'].double(), GT.double())
    assert out['losses'][-1] < 0.05 * out['losses'][0]
    assert t1[0] < 0.1 * t0[0] and r1[0] < 0.2 * r0[0]  # 10 cm / 3 deg -> about 3 mm / 0.3 deg
    rot = out['pose'][0, :, :3]
    assert torch.allclose(rot @ rot.T, torch.eye(3), atol=1e-5)  # still a rotation


def test_pose_correction_optimizer_has_split_learning_rates():
    corr = NeFeSPoseCorrection(2)
    groups = corr.optimizer(lr_rot=0.01, lr_trans=0.1).param_groups
    assert [g['lr'] for g in groups] == [0.01, 0.1]
    assert groups[0]['params'][0] is corr.rotvec and groups[1]['params'][0] is corr.trans


class ToyAPR(nn.Module):
    """An 'APR' whose prediction is a learnable flattened 3x4 pose (what the image would regress to)."""

    def __init__(self, pose):
        super().__init__()
        self.pose = nn.Parameter(pose.reshape(1, 12).clone())

    def forward(self, img):
        return self.pose.expand(img.shape[0], -1)


def _fog_nefes():
    """A NeFeS whose fields are the textured fog, ACT the identity and fusion CNN a pass-through."""
    model = NeFeS(coarse=dict(depth=1, width=8), fine=dict(depth=1, width=8, feature_channels=8),
                  act=dict(bias=True), fusion=dict(feature_channels=8, mid_channels=4, norm=False, residual=True),
                  renderer=dict(num_coarse=16, num_fine=16))
    model.coarse = model.fine = TexturedFog()
    with torch.no_grad():
        model.act.mlp[-1].weight.zero_()
        model.act.mlp[-1].bias.copy_(torch.tensor([1.0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]))
        model.fusion.body[-1].weight.zero_()
        model.fusion.body[-1].bias.zero_()
    return model.requires_grad_(False)


def test_apr_weights_refinement_with_upsampling_crop_and_verification():
    scene = NeFeSSceneSetup(near=0.0, far=3.0, pose_scale=0.5, move_all_cam_vec=(0.0, 0.0, 0.5))
    gt_apr = scene.to_apr(GT)
    render = NeFeSQueryRenderer(_fog_nefes(), scene, torch.full((1, 10), 10.0), (H, W), FOCAL, out_size=(2 * H, 2 * W))
    query = render(gt_apr)
    assert query['feat'].shape == (1, 8, 2 * H, 2 * W)
    target, image = query['feat'].detach(), query['rgb'].detach()
    assert per_channel_cosine_loss(crop_border(render(gt_apr)['feat'], 2), crop_border(target, 2)).item() < 1e-6
    init = _perturb(gt_apr, rot_deg=2.0, trans=(0.1, -0.06, 0.0))
    apr = ToyAPR(init)
    out = refine_apr_weights(apr, image, render, target, num_iters=40, lr=5e-3, border=2, verify_image=image)
    assert torch.equal(apr.pose.detach(), init.reshape(1, 12))  # the trained APR itself is untouched
    assert torch.allclose(out['initial_pose'], apr_pose(apr, image))
    t0, r0 = pose_errors(init.double(), gt_apr.double())
    t1, r1 = pose_errors(out['pose'].double(), gt_apr.double())
    assert not out['fell_back'] and out['psnr'][1] > out['psnr'][0] and out['ssim'][1] > out['ssim'][0]
    assert t1[0] < 0.5 * t0[0] and r1[0] < 0.5 * r0[0]
    # verification fall-back: against an image the initial render matches exactly, quality can only drop
    wrong = render(init)['rgb'].detach()
    fb = refine_apr_weights(apr, image, render, target, num_iters=40, lr=5e-3, border=2, verify_image=wrong)
    assert fb['fell_back'] and torch.equal(fb['pose'], fb['initial_pose'])
    assert not torch.allclose(fb['refined_pose'], fb['initial_pose'])
