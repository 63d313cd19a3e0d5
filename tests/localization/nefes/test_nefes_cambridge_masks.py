"""Cambridge transient masks for NeFeS: loader (official layout), ray sampling on static pixels, masked losses."""
import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from PIL import Image

import wsl.localization.nefes.model as model_module
from wsl.localization.nefes.cambridge import CambridgeLandmarksNeFeSDataset
from wsl.localization.nefes.losses import masked_l1_loss, nerfw_photometric_loss
from wsl.localization.nefes.model import NeFeSModel
from wsl.localization.nefes.ray_sampling import sample_random_pixels
from wsl.localization.nefes.transforms import LoadNeFeSMask

TINY_NEFES = dict(coarse=dict(depth=2, width=16, skips=()), fine=dict(depth=2, width=16, skips=(1, )),
                  fusion=dict(mid_channels=8), renderer=dict(num_coarse=8, num_fine=8))
PIPELINE = [dict(type='LoadNeFeSImage'), dict(type='LoadNeFeSMask', render_scale=4), dict(type='PackNeFeSInputs')]
H, W = 48, 85  # image files (the DSAC* 480 x 854 at 1/10); loaded at 24 x 43 -> 6 x 10 render grid


def _c2w4(centre):
    m = np.eye(4)
    m[:3, 3] = centre
    return m


def _mask_png(path, static_cols, h=H, w=W, mode='L'):
    """Mask in the release format: 8-bit grey, 255 = static; columns < static_cols static."""
    arr = np.zeros((h, w), np.uint8)
    arr[:, :static_cols] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(arr)
    (img.convert(mode) if mode != 'L' else img).save(path)
    return arr


def _kings(root, static_cols=(42, 85, 42)):
    """KingsCollege in the DSAC* layout with <split>/semantic/<image name> masks (data/setup_cambridge.py)."""
    scene = root / 'KingsCollege'
    rng = np.random.default_rng(0)
    for split, centres in (('train', [(1, 0, 0), (0, 1, 0), (-1, 0, 0)]), ('test', [(0, 0, 2)])):
        for i, c in enumerate(centres):
            name = f'seq1_frame{i + 1:05d}'
            (scene / split / 'rgb').mkdir(parents=True, exist_ok=True)
            (scene / split / 'poses').mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 256, (H, W, 3), dtype=np.uint8)).save(scene / split / 'rgb' / f'{name}.png')
            np.savetxt(scene / split / 'poses' / f'{name}.txt', _c2w4(c))
            _mask_png(scene / split / 'semantic' / f'{name}.png', static_cols[i] if split == 'train' else 85)
    return scene


def _dataset(scene, **kw):
    with DefaultScope.overwrite_default_scope('wsl'):
        return CambridgeLandmarksNeFeSDataset(scene='KingsCollege', data_root=str(scene), layout='dsacstar',
                                              img_height=24, pipeline=kw.pop('pipeline', PIPELINE),
                                              **dict(dict(mask_dir='semantic'), **kw))


def test_loader_reads_released_layout_and_resizes_like_the_official_code(tmp_path):
    scene = _kings(tmp_path)
    ds = _dataset(scene)
    info = ds.get_data_info(0)
    assert info['mask_path'] == str(scene / 'train' / 'semantic' / 'seq1_frame00001.png')
    mask = ds[0]['data_samples'].mask
    assert mask.dtype == torch.bool and mask.shape == (6, 10)
    # area resize 85 -> 10 columns (8.5 px each): column 4 covers [34, 42.5) of which 8 px are static -> 0.94 > 0.5
    assert mask[:, :5].all() and not mask[:, 5:].any()
    arr = np.asarray(Image.open(info['mask_path']))
    official = cv2.resize((arr / 255.).astype(np.float32), (10, 6), interpolation=cv2.INTER_AREA) > 0.5
    assert np.array_equal(mask.numpy(), official)
    assert ds[1]['data_samples'].mask.all()
    # the PoseNet layout maps seq1/frame00001.png to the same DSAC*-style mask name
    posenet = CambridgeLandmarksNeFeSDataset.__new__(CambridgeLandmarksNeFeSDataset)
    posenet.layout, posenet.mask_dir, posenet.mask_suffix, posenet.split = 'posenet', 'semantic', '.png', 'train'
    posenet.data_root = '/d'
    assert posenet.mask_path('seq1/frame00001.png') == '/d/train/semantic/seq1_frame00001.png'


def test_masks_can_be_switched_off_and_other_encodings_read(tmp_path):
    scene = _kings(tmp_path)
    sample = _dataset(scene, mask_dir=None)[0]['data_samples']
    assert 'mask' not in sample
    for mode in ('1', 'RGB'):  # 1-bit and equal-channel RGB masks read as the 8-bit grey ones
        _mask_png(scene / 'train' / 'semantic' / 'seq1_frame00001.png', 42, mode=mode)
        mask = _dataset(scene)[0]['data_samples'].mask
        assert mask[:, :5].all() and not mask[:, 5:].any()


def test_mask_errors_name_the_file(tmp_path):
    scene = _kings(tmp_path)
    missing = scene / 'train' / 'semantic' / 'seq1_frame00002.png'
    missing.unlink()
    with pytest.raises(FileNotFoundError, match=r'seq1_frame00002\.png.*1 of 3 train masks missing'):
        _dataset(scene)
    _mask_png(missing, 40, h=48, w=64)  # not the image's view: 48 x 64 vs 48 x 85
    ds = _dataset(scene)
    with pytest.raises(ValueError, match=r'mask .*seq1_frame00002\.png is 48x64 but image .*seq1_frame00002\.png '
                       r'is 48x85'):
        ds[1]
    _mask_png(missing, 85, h=24, w=43)  # half resolution of the image: the same view, accepted
    assert _dataset(scene)[1]['data_samples'].mask.all()
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[..., 0] = 255
    Image.fromarray(rgb).save(missing)
    with pytest.raises(ValueError, match=r'seq1_frame00002\.png: expected a single-channel'):
        _dataset(scene)[1]
    with pytest.raises(KeyError, match='sample lacks mask_path'):
        LoadNeFeSMask()(dict(img_path='x.png'))


def _model(**kw):
    torch.manual_seed(0)
    kw = dict(dict(rays_per_image=8, num_patches=2, patch_size=3), **kw)
    return NeFeSModel(nefes=TINY_NEFES, feature_extractor=dict(type='DFNet'), **kw).train()


def _batch(ds, indices=(0, 2)):
    data = pseudo_collate([ds[i] for i in indices])
    return data['inputs'], data['data_samples']


def _record_pixels(monkeypatch):
    seen = []
    real = model_module.generate_rays

    def spy(c2w, h, w, focal, pixels=None):
        seen.append(pixels.clone())
        return real(c2w, h, w, focal, pixels)

    monkeypatch.setattr(model_module, 'generate_rays', spy)
    return seen


def test_stage_1_2_rays_fall_on_static_pixels_only(tmp_path, monkeypatch):
    ds = _dataset(_kings(tmp_path, static_cols=(42, 85, 17)))  # 30, 60 and 12 static pixels of 60
    imgs, samples = _batch(ds)
    seen = _record_pixels(monkeypatch)
    model = _model(stage=2)
    for _ in range(5):
        model(imgs, samples, mode='loss')
    for pix in seen:
        for i, s in enumerate(samples):
            valid = s.mask.flatten()
            assert valid[pix[i]].all() and len(set(pix[i].tolist())) == 8  # static, distinct
    model.rays_per_image = 13  # image 2 has 12 static pixels
    with pytest.raises(ValueError, match=r"seq1_frame00003\.png' leaves 12 valid pixels on the 6x10 render grid"):
        model(imgs, samples, mode='loss')
    model.mask_shortfall = 'replace'
    seen.clear()
    model(imgs, samples, mode='loss')
    assert samples[1].mask.flatten()[seen[0][1]].all() and len(set(seen[0][1].tolist())) <= 12
    assert len(set(seen[0][0].tolist())) == 13  # the other image keeps distinct pixels
    model.use_masks = False  # switched off: any pixel
    seen.clear()
    model.rays_per_image = 60
    model(imgs, samples, mode='loss')
    assert sorted(seen[0][1].tolist()) == list(range(60))


def test_sampler_replacement_and_errors():
    mask = torch.zeros(2, 3, 4, dtype=torch.bool)
    mask[0] = True
    mask[1, 0, :2] = True
    g = torch.Generator().manual_seed(0)
    pix = sample_random_pixels(2, 3, 4, 5, mask=mask, generator=g, replace_if_short=True)
    assert set(pix[1].tolist()) <= {0, 1} and len(set(pix[0].tolist())) == 5
    with pytest.raises(ValueError, match='image 1 has only 2 valid pixels'):
        sample_random_pixels(2, 3, 4, 5, mask=mask)
    mask[1] = False
    with pytest.raises(ValueError, match='image 1 has only 0 valid pixels'):
        sample_random_pixels(2, 3, 4, 5, mask=mask, replace_if_short=True)
    with pytest.raises(ValueError, match=r'mask must be \(2, 3, 5\)'):
        sample_random_pixels(2, 3, 5, 5, mask=mask)


def test_stage_3_losses_equal_the_official_indexing_of_valid_pixels(tmp_path, monkeypatch):
    scene = _kings(tmp_path)
    stripes = np.where((np.arange(W) // 17) % 2 == 0, 255, 0).astype(np.uint8)  # static stripes ~2 grid columns wide
    Image.fromarray(np.repeat(stripes[None], H, 0)).save(scene / 'train' / 'semantic' / 'seq1_frame00003.png')
    imgs, samples = _batch(_dataset(scene))
    model = _model(stage=3)
    seen = _record_pixels(monkeypatch)
    captured = {}
    real_render = model.nefes.render_rays

    def render_spy(*args, **kw):
        captured['out'] = real_render(*args, **kw)
        return captured['out']

    monkeypatch.setattr(model.nefes, 'render_rays', render_spy)
    model.nefes.fusion.register_forward_hook(lambda m, i, o: captured.update(fused=o))
    torch.manual_seed(5)
    losses = model(imgs, samples, mode='loss')
    out, fused, pix = captured['out'], captured['fused'], seen[0]
    # by hand, as run_nefes.py does: index the valid rays of all images, then take plain means
    batch = torch.stack(imgs)
    valid = torch.stack([s.mask.flatten()[p] for s, p in zip(samples, pix)]).flatten()  # (B * R,)
    assert 0 < valid.sum() < valid.numel()  # the fixture's patches mix static and transient pixels
    rgb_t = F.interpolate(batch, size=(6, 10), mode='bilinear', align_corners=False).flatten(2)
    rgb_t = torch.stack([rgb_t[i][:, pix[i]].T for i in range(2)]).flatten(0, 1)[valid]
    feat_t = model.feature_extractor.extract_features(batch, levels=(0, ), size=(6, 10))[0].flatten(2)
    feat_t = torch.stack([feat_t[i][:, pix[i]].T for i in range(2)]).flatten(0, 1)[valid]
    fused_rows = fused.permute(0, 2, 3, 1).reshape(-1, fused.shape[1])[valid]
    v = lambda key: out[key].flatten(0, 1)[valid]  # noqa: E731
    expect = dict(loss_coarse=0.5 * (v('rgb_coarse') - rgb_t).square().mean(),
                  loss_fine=((v('rgb') - rgb_t).square() / (2 * v('beta').square()[:, None])).mean(),
                  loss_beta=3 + v('beta').log().mean(), loss_transient=0.01 * v('sigma_t').mean(),
                  loss_feat=0.02 * (v('feat') - feat_t).abs().mean(),
                  loss_fusion=0.02 * (fused_rows - feat_t).abs().mean())
    assert set(losses) == set(expect)
    for k in expect:
        assert losses[k].item() == pytest.approx(expect[k].item(), rel=1e-5), k
    # the fusion CNN saw whole patches (B * N_crop, C, S, S), transient pixels included
    assert fused.shape == (4, 128, 3, 3)
    # an all-static mask trains exactly like no mask
    full = _dataset(_kings(tmp_path / 'full', static_cols=(85, 85, 85)))
    imgs, samples = _batch(full)
    results = []
    for use in (True, False):
        model.use_masks = use
        torch.manual_seed(5)
        results.append({k: x.item() for k, x in model(imgs, samples, mode='loss').items()})
    assert results[0] == pytest.approx(results[1], rel=1e-6)


def test_masked_losses_ignore_invalid_pixels_in_value_and_gradient():
    g = torch.Generator().manual_seed(0)
    r, s = 6, 4
    coarse, fine = torch.rand(r, 3, generator=g, requires_grad=True), torch.rand(r, 3, generator=g, requires_grad=True)
    beta = (0.1 + torch.rand(r, generator=g)).requires_grad_()
    sigma_t = torch.rand(r, s, generator=g, requires_grad=True)
    target = torch.rand(r, 3, generator=g)
    mask = torch.tensor([True, False, True, True, False, True])

    def run(tgt, sig):
        out = nerfw_photometric_loss(coarse, fine, beta, sig, tgt, mask=mask)
        grads = torch.autograd.grad(sum(out.values()), (coarse, fine, beta))
        return {k: x.item() for k, x in out.items()}, grads

    vals, grads = run(target, sigma_t)
    m = mask
    hand = dict(loss_coarse=0.5 * ((coarse[m] - target[m])**2).mean().item(),
                loss_fine=((fine[m] - target[m])**2 / (2 * beta[m, None]**2)).mean().item(),
                loss_beta=3 + beta[m].log().mean().item(), loss_transient=0.01 * sigma_t[m].mean().item())
    assert vals == pytest.approx(hand, rel=1e-6)
    changed = target.clone()
    changed[~mask] = torch.tensor([5.0, -3.0, 100.0])  # any value in the transient rays
    sig2 = sigma_t.detach().clone()
    sig2[~mask] = 1e3
    vals2, grads2 = run(changed, sig2)
    assert vals2 == pytest.approx(vals, rel=1e-6)
    for a, b in zip(grads, grads2):
        assert torch.allclose(a, b) and not a[~mask].any()
    # fusion-shaped L1: (B * N_crop, C, S, S) outputs with a (B * N_crop, 1, S, S) mask
    pred = torch.rand(2, 5, 3, 3, generator=g, requires_grad=True)
    tgt = torch.rand(2, 5, 3, 3, generator=g)
    pmask = torch.rand(2, 1, 3, 3, generator=g) > 0.5
    loss = masked_l1_loss(pred, tgt, pmask)
    sel = pmask.expand_as(pred)
    assert loss.item() == pytest.approx((pred[sel] - tgt[sel]).abs().mean().item(), rel=1e-6)
    (grad, ) = torch.autograd.grad(loss, pred)
    tgt2 = torch.where(sel, tgt, torch.full_like(tgt, 9.0))
    (grad2, ) = torch.autograd.grad(masked_l1_loss(pred, tgt2, pmask), pred)
    assert torch.equal(grad, grad2) and not grad[~sel].any()
    assert masked_l1_loss(pred, tgt, torch.zeros_like(pmask)).item() == 0.0  # no static pixel: zero, not NaN


def test_model_mask_errors(tmp_path):
    ds = _dataset(_kings(tmp_path))
    imgs, samples = _batch(ds)
    with pytest.raises(ValueError, match="mask_shortfall must be 'error' or 'replace'"):
        _model(mask_shortfall='skip')
    model = _model(render_scale=2)  # grid 12 x 21 but the loader resized the masks for scale 4
    with pytest.raises(ValueError, match=r'is \(6, 10\) but the render grid is \(12, 21\); LoadNeFeSMask.render_scale'):
        model(imgs, samples, mode='loss')
    model = _model()
    del samples[1].mask
    with pytest.raises(ValueError, match='some samples of the batch carry a transient mask and some do not'):
        model(imgs, samples, mode='loss')
