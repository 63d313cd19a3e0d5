"""Context-aggregated R2D2 (Hong et al. 2020): semantic branch, LG/MA/fusion modules, the model's losses."""
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.runner.checkpoint import load_checkpoint
from mmengine.structures import BaseDataElement

from wsl.localization.r2d2.context import ContextFusion, LocalGuidedModule, MultiScaleAggregation
from wsl.localization.r2d2.net import R2D2Net
from wsl.localization.r2d2.semantic import load_hrnet_weights
from wsl.registry import MODELS

SMALL = dict(type='HRNetSemanticBranch', model_name='hrnet_w18_small')  # the paper's W48 is too slow for CPU tests


@pytest.fixture(scope='module')
def branch():
    torch.manual_seed(0)
    return MODELS.build(SMALL)


def test_semantic_branch_full_resolution_and_frozen(branch):
    assert all(not p.requires_grad for p in branch.hrnet.parameters())
    assert all(p.requires_grad for p in branch.reduce.parameters())
    branch.train()
    assert not branch.hrnet.training and branch.reduce.training
    stats = branch.hrnet.bn1.running_mean.clone()
    img = torch.randn(2, 3, 40, 44)  # not multiples of 32: padded, then cropped
    out = branch(img)
    assert out.shape == (2, 128, 40, 44)
    torch.testing.assert_close(branch.hrnet.bn1.running_mean, stats)  # frozen BN statistics
    # zero padding to 64x64 then cropping: the same as running the explicitly padded image
    branch.eval()
    padded = torch.nn.functional.pad(img, (0, 20, 0, 24))
    torch.testing.assert_close(branch(img), branch(padded)[..., :40, :44])
    out.sum().backward()
    assert branch.reduce[0].weight.grad is not None


def test_hrnet_checkpoint_loading(tmp_path, branch):
    import timm
    cls = timm.create_model('hrnet_w18_small', pretrained=False)  # a classification checkpoint (ImageNet-style)
    torch.save({'state_dict': {'model.' + k: v for k, v in cls.state_dict().items()}}, tmp_path / 'hrnet.pth')
    info = load_hrnet_weights(branch.hrnet, str(tmp_path / 'hrnet.pth'))
    assert info['loaded'] == len(branch.hrnet.state_dict()) and info['unexpected'] == []
    torch.testing.assert_close(branch.hrnet.conv1.weight, cls.conv1.weight)
    partial = {k: v for k, v in cls.state_dict().items() if not k.startswith('stage4')}
    torch.save(partial, tmp_path / 'partial.pth')
    with pytest.raises(ValueError, match='backbone tensors are missing'):
        load_hrnet_weights(branch.hrnet, str(tmp_path / 'partial.pth'))


def test_local_guided_gate():
    rel, rep = torch.rand(1, 1, 5, 5), torch.rand(1, 1, 5, 5)
    feats = torch.randn(1, 8, 5, 5)
    lg = LocalGuidedModule()
    p = lg.score(rel, rep)
    assert p.min() >= 0.5 and p.max() <= torch.sigmoid(torch.tensor(1.))  # P in [0.5, 0.731]
    torch.testing.assert_close(lg(feats, rel, rep), feats * torch.sigmoid(rel * rep))
    torch.testing.assert_close(LocalGuidedModule('identity').score(rel, rep), rel * rep)
    learned = LocalGuidedModule('learned', tau=0.5)
    s = rel * rep
    torch.testing.assert_close(learned.score(rel, rep), torch.sigmoid((s - s.mean()) / 0.5))
    r, f = rel.clone().requires_grad_(), feats.clone().requires_grad_()
    LocalGuidedModule(detach_score=True)(f, r, rep).sum().backward()
    assert r.grad is None and f.grad is not None
    with pytest.raises(ValueError, match='score_norm'):
        LocalGuidedModule('softmax')


def test_multiscale_aggregation_short_connections():
    ma = MultiScaleAggregation(4)
    for block, c in zip(ma.blocks, (2., 3., 5.)):  # replace each conv block by a known map
        block.forward = (lambda c: lambda z: c * z)(c)
    z = torch.randn(1, 4, 3, 3)
    y1 = 2 * z
    y2 = 3 * y1 + y1
    torch.testing.assert_close(ma(z), 5 * y2 + y2)
    dense = MultiScaleAggregation(4, mode='dense')
    for block in dense.blocks:
        block.forward = lambda z: z + 1
    with torch.no_grad():
        dense.merge.weight.zero_()
        dense.merge.weight[:, 8:, 0, 0] = torch.eye(4)  # pick y3
        dense.merge.bias.zero_()
    torch.testing.assert_close(dense(z), z + 3)
    # receptive field: a single impulse spreads over 7x7 after three 3x3 convs
    real = MultiScaleAggregation(2).eval()
    imp = torch.zeros(1, 2, 15, 15)
    imp[..., 7, 7] = 1
    base = real(torch.zeros_like(imp))
    changed = (real(imp) - base).abs().sum(1)[0] > 0
    assert changed[4:11, 4:11].any() and not changed[:4].any() and not changed[:, 11:].any()


def test_fusion_residual():
    fusion = ContextFusion(4, 4)
    x, a = torch.randn(1, 4, 3, 3), torch.randn(1, 4, 3, 3)
    with torch.no_grad():
        fusion.conv.weight.zero_()
        fusion.conv.bias.fill_(0.5)
    torch.testing.assert_close(fusion(x, a), x + 0.5)


def _pair(size=48, seed=0):
    g = torch.Generator().manual_seed(seed)
    img = (torch.rand(3, size // 4, size // 4, generator=g) * 255)
    img = torch.nn.functional.interpolate(img[None], size=(size, size), mode='bicubic', align_corners=False)[0]
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float), torch.arange(size, dtype=torch.float), indexing='ij')
    return dict(inputs=torch.stack([img, img]).clamp(0, 255),
                data_samples=BaseDataElement(aflow=torch.stack([xs, ys])))


def test_context_model_maps_and_losses(tmp_path):
    torch.manual_seed(0)
    model = MODELS.build(dict(type='R2D2Context', semantic=SMALL, share_head=True)).eval()
    # with a zero fusion conv the refined features equal the low-level ones: final == initial
    with torch.no_grad():
        model.fusion.conv.weight.zero_()
        model.fusion.conv.bias.zero_()
    img = torch.randn(1, 3, 40, 36)
    initial, final = model.maps_both(img)
    for k in initial:
        torch.testing.assert_close(final[k], initial[k])
    assert model(img)['descriptors'].shape == (1, 128, 40, 36)
    # the R2D2 part loads from a converted official-layout checkpoint (trunk.*, head.* keys)
    net = R2D2Net()
    torch.save(dict(state_dict=net.state_dict()), tmp_path / 'r2d2.pth')
    load_checkpoint(model, str(tmp_path / 'r2d2.pth'), strict=False)
    torch.testing.assert_close(model.trunk.layers[8].conv.weight, net.trunk.layers[8].conv.weight)


def test_context_model_losses_and_lambda():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='R2D2Context', semantic=SMALL)).train()
    assert model.head_final is not None and model.head_final is not model.head
    data = model.data_preprocessor(pseudo_collate([_pair(seed=0)]), training=True)
    torch.manual_seed(1)
    losses = model(**data, mode='loss')
    base = {'loss_reliability', 'loss_cosim16', 'loss_peaky16'}
    assert set(losses) == base | {k + '_final' for k in base}
    assert losses['loss_cosim16'].item() == pytest.approx(0, abs=1e-6)  # identical images, identity flow
    model.lambda_final = 0.5  # λ scales only the final terms (same sampler draws with the same seed)
    torch.manual_seed(1)
    half = model(**data, mode='loss')
    for k in base:
        assert half[k].item() == pytest.approx(losses[k].item(), rel=1e-5)
        assert half[k + '_final'].item() == pytest.approx(0.5 * losses[k + '_final'].item(), rel=1e-5)
    sum(losses.values()).backward()
    assert model.fusion.conv.weight.grad is not None and model.ma.blocks[0][0].weight.grad is not None
    assert model.semantic.reduce[0].weight.grad is not None
    assert all(p.grad is None for p in model.semantic.hrnet.parameters())


def test_ablation_switches():
    lg_only = MODELS.build(dict(type='R2D2Context', semantic=SMALL, use_ma=False))
    assert lg_only.ma is None and lg_only.lg is not None
    out = lg_only.eval()(torch.randn(1, 3, 32, 32))
    assert out['reliability'].shape == (1, 1, 32, 32)
