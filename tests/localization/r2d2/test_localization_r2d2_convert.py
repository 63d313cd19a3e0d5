"""Official R2D2 checkpoint -> wsl: key mapping, safe loading, forward parity with the official layout."""
import os
import os.path as osp
import runpy
import sys

import pytest
import torch
import torch.nn.functional as F

from wsl.localization.r2d2.convert import (convert_official_state_dict, convert_r2d2_checkpoint,
                                           load_official_checkpoint, load_r2d2_weights, official_key_map,
                                           parse_official_net)
from wsl.localization.r2d2.inference import init_r2d2_net
from wsl.localization.r2d2.net import R2D2Net

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
WEIGHTS = os.environ.get('WSL_R2D2_WEIGHTS', osp.join(osp.dirname(REPO), 'shared', 'weights', 'r2d2_WASF_N16.pt'))

# The official Quad_L2Net_ConfCFS layout, from the spec's table: (ops index of the conv, of its BN or None,
# in, out, kernel, dilation, relu). ReLUs take an index in the official ModuleList but hold no tensors.
OFFICIAL_LAYERS = [(0, 1, 3, 32, 3, 1, True), (3, 4, 32, 32, 3, 1, True), (6, 7, 32, 64, 3, 1, True),
                   (9, 10, 64, 64, 3, 2, True), (12, 13, 64, 128, 3, 2, True), (15, 16, 128, 128, 3, 4, True),
                   (18, 19, 128, 128, 2, 4, False), (20, 21, 128, 128, 2, 8, False), (22, None, 128, 128, 2, 16, False)]


def random_official_state(seed: int = 0) -> dict:
    """A state dict in the official key layout (with ``module.``), random values, positive variances."""
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for conv, bn, cin, cout, k, _, _ in OFFICIAL_LAYERS:
        sd[f'module.ops.{conv}.weight'] = torch.randn(cout, cin, k, k, generator=g) * (2 / (cin * k * k))**0.5
        sd[f'module.ops.{conv}.bias'] = torch.randn(cout, generator=g) * 0.1
        if bn is not None:
            sd[f'module.ops.{bn}.running_mean'] = torch.randn(cout, generator=g) * 0.1
            sd[f'module.ops.{bn}.running_var'] = torch.rand(cout, generator=g) + 0.5
            sd[f'module.ops.{bn}.num_batches_tracked'] = torch.tensor(1000)
    for head, cout in (('clf', 2), ('sal', 1)):
        sd[f'module.{head}.weight'] = torch.randn(cout, 128, 1, 1, generator=g) * 0.1
        sd[f'module.{head}.bias'] = torch.randn(cout, generator=g) * 0.1
    return sd


def official_forward(sd: dict, img: torch.Tensor) -> dict:
    """The official forward written from the spec, functionally, on official keys."""
    p = {k.replace('module.', '', 1): v for k, v in sd.items()}
    x = img
    for conv, bn, _, _, k, d, relu in OFFICIAL_LAYERS:
        x = F.conv2d(x, p[f'ops.{conv}.weight'], p[f'ops.{conv}.bias'], padding=(k - 1) * d // 2, dilation=d)
        if bn is not None:
            x = F.batch_norm(x, p[f'ops.{bn}.running_mean'], p[f'ops.{bn}.running_var'], training=False, eps=1e-5)
        if relu:
            x = F.relu(x)
    rel = F.softmax(F.conv2d(x**2, p['clf.weight'], p['clf.bias']), dim=1)[:, 1:2]
    u = F.softplus(F.conv2d(x**2, p['sal.weight'], p['sal.bias']))
    return dict(descriptors=F.normalize(x, dim=1), reliability=rel, repeatability=u / (1 + u))


def write_official(path: str, sd: dict, net: str = 'Quad_L2Net_ConfCFS()') -> str:
    torch.save(dict(net=net, state_dict=sd), path)
    return path


def assert_parity(sd: dict, model: R2D2Net, seed: int = 1):
    img = torch.randn(1, 3, 40, 52, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        ref, out = official_forward(sd, img), model.eval()(img)
    for k in ref:
        torch.testing.assert_close(out[k], ref[k], rtol=0, atol=0)


def test_key_map_is_one_to_one():
    kmap = official_key_map()
    assert len(kmap) == 46 == len(random_official_state())  # 9x2 conv + 8x3 BN + 4 head tensors
    assert len(set(kmap.values())) == 46
    assert set(kmap.values()) == set(R2D2Net().state_dict())
    assert kmap['ops.18.weight'] == 'trunk.layers.6.conv.weight'
    assert kmap['ops.21.running_var'] == 'trunk.layers.7.bn.running_var'
    assert kmap['ops.22.bias'] == 'trunk.layers.8.conv.bias'
    assert kmap['sal.weight'] == 'head.sal.weight'


def test_converter_cli_on_written_official_checkpoint(tmp_path, monkeypatch, capsys):
    sd = random_official_state()
    src = write_official(str(tmp_path / 'official.pt'), sd)
    dst = str(tmp_path / 'r2d2_wsl.pth')
    monkeypatch.setattr(sys, 'argv', ['r2d2_to_wsl.py', src, dst])
    runpy.run_path(osp.join(REPO, 'tools', 'model_converters', 'r2d2_to_wsl.py'), run_name='__main__')
    assert 'converted 46 tensors' in capsys.readouterr().out
    ckpt = torch.load(dst, weights_only=True)
    assert ckpt['meta']['model'] == dict(type='R2D2Net', rep_activation='softplus', mchan=4, dim=128)
    kmap = official_key_map()
    for k, v in sd.items():  # every tensor maps, values unchanged
        assert torch.equal(ckpt['state_dict'][kmap[k[len('module.'):]]], v)
    model = R2D2Net()
    model.load_state_dict(ckpt['state_dict'], strict=True)
    assert_parity(sd, model)
    # the official file loads directly too, and the extraction helper builds the same network from either
    assert_parity(sd, load_r2d2_weights(R2D2Net(), src))
    torch.save(sd, tmp_path / 'bare.pt')  # a bare official state dict, no wrapper
    assert_parity(sd, load_r2d2_weights(R2D2Net(), str(tmp_path / 'bare.pt')))
    for path in (src, dst):
        net, cfg = init_r2d2_net(path)
        assert cfg == {} and not net.training
        assert_parity(sd, net)


def test_bad_checkpoints_raise_clearly(tmp_path):
    sd = random_official_state()
    with pytest.raises(ValueError, match='not supported'):
        parse_official_net('Fast_Quad_L2Net_ConfCFS()')
    with pytest.raises(ValueError, match='unsupported argument'):
        parse_official_net("Quad_L2Net_ConfCFS(mchan=__import__('os').getpid())")
    assert parse_official_net('Quad_L2Net_ConfCFS(mchan=6)') == dict(mchan=6)
    bad = dict(sd, **{'module.ops.23.weight': torch.zeros(1)})
    with pytest.raises(ValueError, match=r'unknown: \[.ops.23.weight.\]'):
        convert_official_state_dict(bad, 'x.pt')
    missing = {k: v for k, v in sd.items() if k != 'module.ops.19.running_var'}
    with pytest.raises(ValueError, match='missing: .*ops.19.running_var'):
        convert_official_state_dict(missing, 'x.pt')
    src = write_official(str(tmp_path / 'mismatch.pt'), sd, net='Quad_L2Net_ConfCFS(mchan=6)')
    with pytest.raises(ValueError, match='mchan=6 but the tensors have mchan=4'):
        convert_r2d2_checkpoint(src, str(tmp_path / 'out.pth'))
    torch.save([1, 2], str(tmp_path / 'list.pt'))
    with pytest.raises(ValueError, match='"net" and "state_dict"'):
        load_official_checkpoint(str(tmp_path / 'list.pt'))


@pytest.mark.skipif(not osp.isfile(WEIGHTS), reason=f'released R2D2 weights not found at {WEIGHTS} '
                    '(set WSL_R2D2_WEIGHTS to r2d2_WASF_N16.pt)')
def test_released_weights_convert_and_match(tmp_path):
    raw = torch.load(WEIGHTS, map_location='cpu', weights_only=True)  # loads as is: strings and tensors only
    assert raw['net'] == 'Quad_L2Net_ConfCFS()'
    assert set(raw['state_dict']) == set(random_official_state())
    for k, v in random_official_state().items():
        assert raw['state_dict'][k].shape == v.shape, k
    ckpt = convert_r2d2_checkpoint(WEIGHTS, str(tmp_path / 'r2d2_WASF_N16_wsl.pth'))
    assert len(ckpt['state_dict']) == 46
    model = R2D2Net()
    model.load_state_dict(ckpt['state_dict'], strict=True)
    assert sum(p.numel() for p in model.parameters()) == 484387
    assert_parity(raw['state_dict'], model)
    # a trained model gives a peaky, confident repeatability somewhere on a textured image
    img = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = model.eval()((img - 0.45) / 0.225)
    assert out['repeatability'].max() > out['repeatability'].mean()
