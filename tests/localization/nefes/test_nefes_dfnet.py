"""DFNet feature extractor and the APRs: taps, shapes, resizing and their use in refinement."""
import pytest
import torch
import torch.nn.functional as F

from wsl.localization.nefes.dfnet import DFNet, PoseNetResNetAPR
from wsl.localization.nefes.refine import apr_pose


@pytest.fixture(scope='module')
def dfnet():
    torch.manual_seed(0)
    return DFNet().eval()


def test_dfnet_taps_are_pre_relu_conv_outputs(dfnet):
    img = torch.rand(1, 3, 32, 32)
    taps = dfnet._run(img, 28)
    assert [t.shape[1:] for t in taps[:3]] == [(64, 32, 32), (256, 8, 8), (512, 2, 2)]
    x = (img - dfnet.mean) / dfnet.std
    x = dfnet.features[1](dfnet.features[0](x))
    conv1_2 = dfnet.features[2](x)
    assert torch.allclose(taps[0], conv1_2) and (taps[0] < 0).any()  # not rectified


def test_dfnet_features_levels_and_resizing(dfnet):
    img = torch.rand(2, 3, 32, 48)
    with torch.no_grad():
        lv0, lv2 = dfnet.extract_features(img, levels=(0, 2))
        small = dfnet.extract_features(img, size=(8, 12))[0]
    assert lv0.shape == (2, 128, 32, 48) and lv2.shape == (2, 128, 32, 48)
    expected = F.interpolate(lv0, size=(8, 12), mode='bilinear', align_corners=True)
    assert torch.allclose(small, expected, atol=1e-5)
    with pytest.raises(ValueError, match='levels'):
        dfnet.extract_features(img, levels=(3, ))


def test_aprs_output_flattened_poses(dfnet):
    img = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        assert dfnet(img).shape == (2, 12)
        posenet = PoseNetResNetAPR(depth=18, hidden=32).eval()
        pose = apr_pose(posenet, img)
    assert pose.shape == (2, 3, 4)
    assert torch.allclose(pose[:, :, :3] @ pose[:, :, :3].transpose(1, 2), torch.eye(3).expand(2, 3, 3), atol=1e-5)
    with pytest.raises(ValueError, match='depth'):
        PoseNetResNetAPR(depth=20)
