"""NeFeS field pieces: positional encoding, MLP heads, ACT, histogram and fusion CNN."""

import pytest
import torch

from wsl.localization.nefes.act import NeFeSExposureACT, affine_color_transform, luminance_histogram
from wsl.localization.nefes.encoding import NeFeSPositionalEncoding
from wsl.localization.nefes.field import NeFeSField
from wsl.localization.nefes.fusion import NeFeSFusionCNN
from wsl.registry import MODELS


def test_positional_encoding_values_and_order():
    x = torch.tensor([[0.5, -1.0, 2.0]])
    out = NeFeSPositionalEncoding(2)(x)
    expected = torch.cat([x, torch.sin(x), torch.cos(x), torch.sin(2 * x), torch.cos(2 * x)], dim=-1)
    assert torch.allclose(out, expected)
    assert NeFeSPositionalEncoding(10).out_channels == 63 and NeFeSPositionalEncoding(4).out_channels == 27
    assert NeFeSPositionalEncoding(10)(torch.zeros(7, 5, 3)).shape == (7, 5, 63)


def test_field_architecture_and_heads():
    field = NeFeSField(transient=True)
    # trunk: 8 layers of width 128; the 5th (index 4) also takes the 63-d encoded position
    assert [l.in_features for l in field.trunk] == [63, 128, 128, 128, 191, 128, 128, 128]
    assert field.dir_branch[0].in_features == 128 + 27 and field.static_head.out_features == 131
    xyz, dirs = torch.randn(10, 3), torch.nn.functional.normalize(torch.randn(10, 3), dim=-1)
    out = field(xyz, dirs)
    assert out['rgb'].shape == (10, 3) and out['feat'].shape == (10, 128)
    assert (out['sigma'] >= 0).all() and (out['sigma_t'] >= 0).all() and (out['beta'] >= 0).all()
    assert ((out['rgb_t'] > 0) & (out['rgb_t'] < 1)).all()
    # the static colour has no activation: a large final bias shows up unsquashed
    with torch.no_grad():
        field.static_head.bias[:3] = 5.0
    assert (field(xyz, dirs)['rgb'] > 2).any()
    assert set(field(xyz)) == {'sigma'}  # density-only pass (coarse network at test time)
    assert not hasattr(NeFeSField(), 'transient_trunk')


def test_luminance_histogram_hand_made():
    img = torch.zeros(1, 3, 2, 4)
    img[0, :, 1, :2] = 1.0  # 2 white pixels -> last bin (top edge included)
    img[0, 0, 1, 2:] = 0.55 / 0.299 * 0.5  # 2 pixels with Y = 0.275 -> bin 2
    hist = luminance_histogram(img)
    assert hist.tolist() == [[50, 0, 25, 0, 0, 0, 0, 0, 0, 25]]
    thirds = torch.tensor([0.05, 0.5, 0.95]).view(1, 1, 3, 1).expand(1, 3, 3, 1)  # grey pixels, Y = value
    assert luminance_histogram(thirds)[0].tolist() == [33, 0, 0, 0, 0, 33, 0, 0, 0, 33]  # rounded percentages


def test_act_identity_when_k_is_identity_and_b_zero():
    rgb = torch.randn(2, 5, 3) * 3
    eye, zero = torch.eye(3).expand(2, 3, 3), torch.zeros(2, 3)
    assert torch.equal(affine_color_transform(rgb, eye, zero), rgb)
    act = NeFeSExposureACT(bias=True)
    with torch.no_grad():
        act.mlp[-1].weight.zero_()
        act.mlp[-1].bias.copy_(torch.tensor([1., 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]))
    mat, bias = act.predict(torch.randint(0, 100, (2, 10)).float())
    assert torch.equal(mat, eye) and torch.equal(bias, zero)
    assert torch.allclose(act(rgb, torch.full((2, 10), 10.0)), torch.sigmoid(rgb))


def test_act_per_image_transform():
    rgb = torch.tensor([[[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]]])
    mat = torch.stack([torch.diag(torch.tensor([2.0, 1.0, 0.0])), torch.eye(3)])
    bias = torch.tensor([[0.0, 0.0, 1.0], [0.5, 0.5, 0.5]])
    assert torch.allclose(affine_color_transform(rgb, mat, bias), torch.tensor([[[2.0, 2.0, 1.0]], [[1.5, 2.5, 3.5]]]))
    act = NeFeSExposureACT()
    assert [m.out_features for m in act.mlp if isinstance(m, torch.nn.Linear)] == [32, 32, 32, 12]
    assert all(m.bias is None for m in act.mlp if isinstance(m, torch.nn.Linear))
    with pytest.raises(ValueError, match=r'\(B, 10\)'):
        act.predict(torch.zeros(2, 9))


def test_fusion_cnn_uses_batch_statistics_in_eval_mode():
    torch.manual_seed(0)
    fusion = NeFeSFusionCNN(feature_channels=8, mid_channels=4)
    rgb, feat = torch.rand(2, 3, 6, 7), torch.randn(2, 8, 6, 7)
    out_train = fusion(rgb, feat)
    fusion.eval()
    out_eval = fusion(rgb, feat)
    assert torch.allclose(out_train, out_eval)  # trap T19: batch statistics also at test time
    assert torch.allclose(out_eval.mean(dim=(0, 2, 3)), torch.zeros(8), atol=1e-5)
    assert [m.kernel_size for m in fusion.body if isinstance(m, torch.nn.Conv2d)] == [(3, 3)] * 3 + [(5, 5)]
    assert out_eval.shape == (2, 8, 6, 7)
    plain = NeFeSFusionCNN(feature_channels=8, mid_channels=4, bn_batch_stats=False)
    plain(rgb, feat)
    plain.eval()
    assert not torch.allclose(plain(rgb, feat).mean(dim=(0, 2, 3)), torch.zeros(8), atol=1e-3)


def test_models_are_registered():
    for name in ('NeFeS', 'NeFeSField', 'NeFeSExposureACT', 'NeFeSFusionCNN'):
        assert MODELS.get(name) is not None, name
    model = MODELS.build(dict(type='NeFeS', coarse=dict(depth=2, width=16), fine=dict(depth=2, width=16, skips=()),
                              fusion=dict(feature_channels=128)))
    assert model.fine.transient and not model.coarse.transient
