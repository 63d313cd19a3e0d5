"""NeFeSAPRModel (APR training wrapper) and the NeFeS benchmark's helpers."""
import numpy as np
import pytest
import torch
from torch import nn

from wsl.localization.nefes.apr_model import NeFeSAPRModel
from wsl.localization.nefes.nefes import NeFeS
from wsl.localization.nefes.pose import so3_exp
from wsl.localization.nefes.pose_metric import pose_errors
from wsl.localization.nefes.scene_frames import NeFeSSceneSetup
from wsl.registry import MODELS


@MODELS.register_module(force=True)
class _ConstantAPRForTest(nn.Module):
    def __init__(self):
        super().__init__()
        self.out = nn.Parameter(torch.tensor([[1.0, 0, 0, 0.5, 0, 2.0, 0, -1.0, 0, 0, 1.0, 3.0]]))

    def forward(self, img):
        return self.out.expand(img.shape[0], -1)


def test_apr_model_pose_mse_and_projected_prediction():
    model = NeFeSAPRModel(apr=dict(type='_ConstantAPRForTest'))
    gt = torch.cat([torch.eye(3), torch.tensor([[0.5], [-1.0], [3.0]])], 1)
    imgs = [torch.zeros(3, 8, 8)] * 2
    loss = model(imgs, [dict(pose=gt), dict(pose=gt)], mode='loss')['loss_pose']
    # only R[1, 1] differs (2 vs 1): MSE over 12 numbers = 1 / 12
    assert loss.item() == pytest.approx(1 / 12)
    pred = model(imgs, [dict(pose=gt)] * 2, mode='predict')[0]['pred_pose']
    assert torch.allclose(pred, gt, atol=1e-6)  # diag(1, 2, 1) projects onto the identity
    assert model(torch.zeros(2, 3, 8, 8)).shape == (2, 12)
    with pytest.raises(ValueError, match='data_samples'):
        model(imgs, None, mode='loss')


def test_perturbed_gt_poses_have_exact_errors():
    from wsl.benchmarks.nefes import perturb_poses
    gt = torch.cat([so3_exp(torch.randn(5, 3, dtype=torch.float64)), torch.randn(5, 3, 1, dtype=torch.float64)], -1)
    init = perturb_poses(gt, 3.0, 0.12, seed=1)
    t_err, r_err = pose_errors(init, gt)
    assert np.allclose(t_err, 0.12) and np.allclose(r_err, 3.0)
    eye = torch.eye(3, dtype=torch.float64).expand(5, 3, 3)
    assert torch.allclose(init[:, :, :3] @ init[:, :, :3].transpose(1, 2), eye)
    assert torch.equal(perturb_poses(gt, 3.0, 0.12, seed=1), init)


def test_batch_renderer_runs_the_fusion_cnn_per_image():
    from wsl.benchmarks.nefes import batch_renderer
    torch.manual_seed(0)
    nefes = NeFeS(coarse=dict(depth=1, width=8, skips=(), feature_channels=4),
                  fine=dict(depth=1, width=8, skips=(), feature_channels=4),
                  fusion=dict(feature_channels=4, mid_channels=4), renderer=dict(num_coarse=4, num_fine=4)).eval()
    scene = NeFeSSceneSetup(near=0.0, far=2.0)
    poses = torch.cat([so3_exp(torch.randn(2, 3) * 0.1), torch.randn(2, 3, 1) * 0.1], -1)
    hist = torch.full((2, 10), 10.0)
    both = batch_renderer(nefes, scene, hist, (4, 6), 5.0)(poses)
    for i in range(2):
        one = batch_renderer(nefes, scene, hist[i:i + 1], (4, 6), 5.0)(poses[i:i + 1])
        assert torch.allclose(both['feat'][i], one['feat'][0], atol=1e-5)  # BN statistics of its own render only
        assert torch.allclose(both['rgb'][i], one['rgb'][0], atol=1e-6)
