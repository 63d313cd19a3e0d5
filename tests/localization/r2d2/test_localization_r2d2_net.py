"""R2D2 network: layout, shapes at full resolution, parameter count, head activations."""
import math

import pytest
import torch

from wsl.localization.r2d2.net import R2D2Head, R2D2Net, r2d2_layer_specs, softplus_ratio
from wsl.registry import MODELS

# Hand count from the layer table of the spec (weights + biases; BN is affine-free):
# 3x3: 3->32, 32->32, 32->64, 64->64, 64->128, 128->128; 2x2: 3 x 128->128; clf 128->2; sal 128->1.
N16_PARAMS = ((3 * 32 * 9 + 32) + (32 * 32 * 9 + 32) + (32 * 64 * 9 + 64) + (64 * 64 * 9 + 64) +
              (64 * 128 * 9 + 128) + (128 * 128 * 9 + 128) + 3 * (128 * 128 * 4 + 128) + (128 * 2 + 2) + (128 + 1))


def test_param_count_matches_official_model():
    assert N16_PARAMS == 484387
    net = R2D2Net()
    assert sum(p.numel() for p in net.parameters()) == 484387
    # 8 affine-free BNs, each with running mean/var and a counter, and no gamma/beta
    assert len(list(net.buffers())) == 24
    assert not any('bn.weight' in k or 'bn.bias' in k for k in net.state_dict())
    # the "big" model (mchan=6): widths 48 48 96 96 192 192 192 192, last conv 192->128
    big = ((3 * 48 * 9 + 48) + (48 * 48 * 9 + 48) + (48 * 96 * 9 + 96) + (96 * 96 * 9 + 96) + (96 * 192 * 9 + 192) +
           (192 * 192 * 9 + 192) + 2 * (192 * 192 * 4 + 192) + (192 * 128 * 4 + 128) + 258 + 129)
    assert sum(p.numel() for p in R2D2Net(mchan=6).parameters()) == big == 1038899


def test_layer_table_matches_spec():
    specs = r2d2_layer_specs()
    assert [s[3] for s in specs] == [1, 1, 1, 2, 2, 4, 4, 8, 16]  # dilations
    assert [s[2] for s in specs] == [3] * 6 + [2] * 3  # kernel sizes (2x2, not the paper's 3x3)
    assert [s[4] for s in specs] == [True] * 8 + [False]  # BN on all but the last layer
    assert [s[5] for s in specs] == [True] * 6 + [False] * 3  # no ReLU after the 2x2 convs
    net = R2D2Net()
    assert [layer.conv.padding[0] for layer in net.trunk.layers] == [1, 1, 1, 2, 2, 4, 2, 4, 8]
    assert all(layer.conv.stride == (1, 1) for layer in net.trunk.layers)


@pytest.mark.parametrize('size', [(37, 45), (16, 16)])
def test_outputs_full_resolution_and_ranges(size):
    torch.manual_seed(0)
    net = R2D2Net().eval()
    out = net(torch.randn(2, 3, *size))
    assert out['descriptors'].shape == (2, 128, *size)
    assert out['reliability'].shape == out['repeatability'].shape == (2, 1, *size)
    norms = out['descriptors'].norm(dim=1)
    torch.testing.assert_close(norms, torch.ones_like(norms))
    for k in ('reliability', 'repeatability'):
        assert (out[k] > 0).all() and (out[k] < 1).all()


def test_translation_equivariance_stride_one():
    """Output stride 1: shifting the image shifts every map by the same number of pixels."""
    torch.manual_seed(0)
    net = R2D2Net().eval()
    img = torch.randn(1, 3, 64, 64)
    a, b = net(img), net(torch.roll(img, shifts=(3, 5), dims=(2, 3)))
    # the receptive field radius is 1+1+1+2+2+4+2+4+8 = 25 px; compare far from the borders/wrap
    for k in a:
        torch.testing.assert_close(b[k][..., 3 + 26:64 - 26, 5 + 26:64 - 26], a[k][..., 26:64 - 26 - 3, 26:64 - 26 - 5],
                                   atol=1e-5, rtol=1e-4)


def test_head_activations():
    assert softplus_ratio(torch.tensor(0.)).item() == pytest.approx(math.log(2) / (1 + math.log(2)))
    head = R2D2Head()
    assert head.sal.out_channels == 1 and head.clf.out_channels == 2
    with torch.no_grad():
        for conv in (head.clf, head.sal):
            conv.weight.zero_()
        head.clf.bias.copy_(torch.tensor([0., math.log(3.)]))  # softmax -> (1/4, 3/4)
        head.sal.bias.fill_(1.)
    out = head(torch.randn(1, 128, 4, 5))
    torch.testing.assert_close(out['reliability'], torch.full((1, 1, 4, 5), 0.75))
    sp = math.log1p(math.e)
    torch.testing.assert_close(out['repeatability'], torch.full((1, 1, 4, 5), sp / (1 + sp)))
    soft = R2D2Head(rep_activation='softmax')
    assert soft.sal.out_channels == 2
    with torch.no_grad():
        soft.sal.weight.zero_()
        soft.sal.bias.copy_(torch.tensor([math.log(4.), 0.]))
    torch.testing.assert_close(soft(torch.randn(1, 128, 2, 2))['repeatability'], torch.full((1, 1, 2, 2), 0.2))
    with pytest.raises(ValueError, match='rep_activation'):
        R2D2Head(rep_activation='sigmoid')


def test_registered_and_input_checked():
    net = MODELS.build(dict(type='R2D2Net', mchan=4, dim=128))
    assert isinstance(net, R2D2Net)
    assert MODELS.get('R2D2Trunk') is not None and MODELS.get('R2D2Head') is R2D2Head
    with pytest.raises(ValueError, match=r'\(B, 3, H, W\)'):
        net(torch.zeros(1, 1, 8, 8))


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    net = R2D2Net().train()
    out = net(torch.randn(2, 3, 24, 24))
    (out['descriptors'][:, 0].sum() + out['reliability'].sum() + out['repeatability'].sum()).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())
    # BN statistics were updated in train mode
    assert net.trunk.layers[0].bn.num_batches_tracked.item() == 1
    assert not torch.allclose(net.trunk.layers[0].bn.running_mean, torch.zeros(32))
