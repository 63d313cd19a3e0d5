"""Optical-flow training pairs: the three flow formats, absolute flow, the official crop recipe, the dataset."""
import os

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from PIL import Image

from wsl.localization.r2d2.flow_io import (flow_to_aflow, read_flo, read_flow, read_kitti_flow, read_mask,
                                           read_r2d2_flow_png, write_flo, write_kitti_flow, write_r2d2_flow_png)
from wsl.localization.r2d2.flow_pairs import choose_windows, flow_local_scale, flow_pair_crop
from wsl.registry import DATASETS, MODELS
from wsl.testing import REPO


def texture(h, w, seed=0):
    rng = np.random.default_rng(seed)
    small = (rng.random((h // 6, w // 6, 3)) * 255).astype(np.uint8)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def translation_flow(h, w, u=3.25, v=-1.5):
    return np.dstack([np.full((h, w), u, np.float32), np.full((h, w), v, np.float32)])


def test_flo_round_trip_gives_the_absolute_translation(tmp_path):
    flow = translation_flow(5, 7)
    flow[3, 2] = np.nan  # written as Middlebury's "unknown" (1e10)
    write_flo(str(tmp_path / 'a.flo'), flow)
    raw = np.fromfile(tmp_path / 'a.flo', np.float32)
    assert raw[0] == np.float32(202021.25) and raw[1:3].view(np.int32).tolist() == [7, 5]
    assert raw.size == 3 + 5 * 7 * 2 and raw[3 + (3 * 7 + 2) * 2] == np.float32(1e10)
    back = read_flow(str(tmp_path / 'a.flo'))
    np.testing.assert_array_equal(np.isnan(back), np.isnan(flow))
    aflow = flow_to_aflow(back, image_size=(7, 5))
    assert aflow.shape == (2, 5, 7) and aflow.dtype == np.float32
    assert aflow[:, 4, 6].tolist() == [6 + 3.25, 4 - 1.5] and aflow[:, 0, 0].tolist() == [3.25, -1.5]
    assert np.isnan(aflow[:, 3, 2]).all() and np.isfinite(aflow).sum() == 2 * (35 - 1)
    mask = np.ones((5, 7), bool)
    mask[0, 1] = False
    assert np.isnan(flow_to_aflow(back, mask)[:, 0, 1]).all()


def test_r2d2_png_is_the_official_int16_encoding(tmp_path):
    rng = np.random.default_rng(0)
    flow = rng.uniform(-40, 40, (6, 9, 2)).astype(np.float32)
    # written the naver/r2d2 way (PairDataset._flow2png): round(16 flow) as int16 bytes in an RGBA PNG, via PIL
    q = np.clip(np.around(16 * flow), -2**15, 2**15 - 1).astype(np.int16)
    Image.fromarray(q.view(np.uint8)).save(tmp_path / 'official.png')
    np.testing.assert_array_equal(read_flow(str(tmp_path / 'official.png')), q / 16)
    write_r2d2_flow_png(str(tmp_path / 'ours.png'), flow)
    official_read = np.float32(np.asarray(Image.open(tmp_path / 'ours.png')).view(np.int16)) / 16  # _png2flow
    np.testing.assert_array_equal(official_read, q / 16)
    assert np.abs(read_r2d2_flow_png(str(tmp_path / 'ours.png')) - flow).max() <= 1 / 32
    Image.fromarray(np.uint8([[1, 0], [255, 1]])).save(tmp_path / 'mask.png')
    assert read_mask(str(tmp_path / 'mask.png')).tolist() == [[True, False], [True, True]]


def test_kitti_png_decoding_and_validity(tmp_path):
    h, w = 4, 5
    u, v = np.full((h, w), -2.5), np.full((h, w), 10.25)
    valid = np.ones((h, w), np.uint16)
    valid[1, 3] = 0
    # KITTI devkit: R = u*64 + 2^15, G = v*64 + 2^15, B = valid (16-bit PNG; OpenCV writes BGR)
    bgr = np.dstack([valid, (v * 64 + 2**15).astype(np.uint16), (u * 64 + 2**15).astype(np.uint16)])
    cv2.imwrite(str(tmp_path / 'k.png'), bgr)
    flow = read_flow(str(tmp_path / 'k.png'))  # auto: 16-bit PNG -> KITTI
    assert np.isnan(flow[1, 3]).all() and np.isfinite(flow).sum() == 2 * (h * w - 1)
    assert flow[0, 0].tolist() == [-2.5, 10.25]
    aflow = flow_to_aflow(flow)
    assert aflow[:, 2, 4].tolist() == [4 - 2.5, 2 + 10.25]
    flow[0, 0] = [1 / 64, -1 / 64]
    write_kitti_flow(str(tmp_path / 'k2.png'), flow)
    back = read_kitti_flow(str(tmp_path / 'k2.png'))
    np.testing.assert_array_equal(np.isnan(back), np.isnan(flow))
    np.testing.assert_allclose(back[np.isfinite(back)], flow[np.isfinite(flow)])


def test_flow_file_errors(tmp_path):
    bad = tmp_path / 'bad.flo'
    bad.write_bytes(np.array([1.0, 0, 0], np.float32).tobytes())
    with pytest.raises(ValueError, match=r'wrong \.flo magic number .*202021\.25'):
        read_flo(str(bad))
    write_flo(str(tmp_path / 'ok.flo'), translation_flow(3, 4))
    data = (tmp_path / 'ok.flo').read_bytes()
    (tmp_path / 'short.flo').write_bytes(data[:-8])
    with pytest.raises(ValueError, match=r'says 4x3 .* holds 22'):
        read_flo(str(tmp_path / 'short.flo'))
    with pytest.raises(ValueError, match=r'flow is 4x3 but image 1 is 5x3'):
        flow_to_aflow(read_flo(str(tmp_path / 'ok.flo')), image_size=(5, 3), source='ok.flo')
    with pytest.raises(ValueError, match='mask is 2x2'):
        flow_to_aflow(translation_flow(3, 4), np.ones((2, 2), bool))
    (tmp_path / 'f.txt').write_text('x')
    with pytest.raises(ValueError, match='cannot tell the flow format'):
        read_flow(str(tmp_path / 'f.txt'))
    with pytest.raises(FileNotFoundError, match='flow file not found'):
        read_flow(str(tmp_path / 'nope.flo'))
    cv2.imwrite(str(tmp_path / 'grey.png'), np.zeros((3, 3), np.uint8))
    with pytest.raises(ValueError, match='8-bit RGBA'):
        read_flow(str(tmp_path / 'grey.png'))
    with pytest.raises(ValueError, match='format must be one of'):
        read_flow(str(tmp_path / 'ok.flo'), 'sintel')


def shifted_pair(h=120, w=150, dx=7, dy=-4, seed=0):
    """img2 shows img1's content moved by (dx, dy): pixel (x, y) of img1 is at (x + dx, y + dy) in img2."""
    big = texture(h + 40, w + 40, seed)
    img1 = big[20:20 + h, 20:20 + w].copy()
    img2 = big[20 - dy:20 - dy + h, 20 - dx:20 - dx + w].copy()
    return img1, img2, flow_to_aflow(translation_flow(h, w, dx, dy))


def test_local_scale_of_a_homography_flow():
    ys, xs = np.mgrid[0:20, 0:30].astype(np.float32)
    np.testing.assert_allclose(flow_local_scale(np.stack([2 * xs + 1, 0.5 * ys])), np.ones((20, 30)))
    np.testing.assert_allclose(flow_local_scale(np.stack([1.5 * xs, 1.5 * ys])), np.full((20, 30), 1.5))
    aflow = np.full((2, 20, 30), np.nan, np.float32)
    assert choose_windows(aflow, (20, 30), 16, np.random.default_rng(0)) is None  # no valid pixel


def test_crop_of_a_translation_keeps_exact_correspondences():
    img1, img2, aflow = shifted_pair()
    aflow[:, 50:60, 40:80] = np.nan  # an occluded band
    out = flow_pair_crop(img1, img2, aflow, np.random.default_rng(1), crop=64, short_side2=None, jitter=False)
    assert out['img1'].shape == out['img2'].shape == (64, 64, 3) and out['aflow'].shape == (2, 64, 64)
    f = out['aflow']
    ys, xs = np.mgrid[0:64, 0:64]
    ok = np.isfinite(f).all(0)
    offset = f[:, ok] - np.stack([xs[ok], ys[ok]])  # a translation stays a translation
    assert np.ptp(offset, axis=1).max() < 1e-4
    inside = ok & (f[0] >= 0) & (f[0] <= 63) & (f[1] >= 0) & (f[1] <= 63)
    assert inside.mean() > 0.5
    xi, yi = f[0, inside].round().astype(int), f[1, inside].round().astype(int)
    np.testing.assert_array_equal(out['img2'][yi, xi], out['img1'][inside])  # integer shifts: pixel-exact


def test_crop_with_rescaled_image2_stays_consistent():
    img1, img2, aflow = shifted_pair(160, 200, dx=5, dy=3, seed=2)
    out = flow_pair_crop(img1, img2, aflow, np.random.default_rng(3), crop=64, short_side2=(240, 240),
                         jitter=False)  # image 2 magnified 1.5x: image 1's window is 64/1.5 px, resampled
    f = out['aflow']
    inside = np.isfinite(f).all(0) & (f[0] >= 1) & (f[0] <= 62) & (f[1] >= 1) & (f[1] <= 62)
    assert inside.mean() > 0.5
    back = cv2.remap(out['img2'], f[0], f[1], cv2.INTER_LINEAR).astype(float)
    err = np.abs(back - out['img1'])[inside].mean()
    wrong = cv2.remap(out['img2'], f[0] + 2, f[1], cv2.INTER_LINEAR).astype(float)
    assert err < 6 and np.abs(wrong - out['img1'])[inside].mean() > 1.5 * err
    ys, xs = np.mgrid[0:64, 0:64]
    # image 1's 64/1.5-px window is upsampled to 64 px and image 2 was magnified 1.5x: the flow keeps the scale
    # (nearest-neighbour flow resampling makes it piecewise constant: compare over the crop)
    assert np.polyfit(xs[inside], f[0][inside], 1)[0] == pytest.approx(1.0, abs=0.05)


def write_official_layout(root, with_masks=True):
    """Aachen-style folders: images_upright/db/<tag>.png, optical_flow/{flow,mask}/<tag1>_<tag2>.png."""
    img1, img2, _ = shifted_pair(96, 112, dx=4, dy=2, seed=5)
    db = root / 'images_upright' / 'db'
    db.mkdir(parents=True)
    Image.fromarray(img1).save(db / '101.png')
    Image.fromarray(img2).save(db / '102.png')
    flow = translation_flow(96, 112, 4, 2)
    write_r2d2_flow_png(str(root / 'optical_flow' / 'flow' / '101_102.png'), flow)
    if with_masks:
        ys, xs = np.mgrid[0:96, 0:112]
        mask = ((xs // 8 + ys // 8) % 4 != 0).astype(np.uint8)  # a quarter of the 8x8 cells invalid, everywhere
        os.makedirs(root / 'optical_flow' / 'mask', exist_ok=True)
        Image.fromarray(mask).save(root / 'optical_flow' / 'mask' / '101_102.png')
    return img1, img2


def test_dataset_official_layout(tmp_path):
    write_official_layout(tmp_path)
    cfg = dict(type='R2D2FlowPairDataset', data_root=str(tmp_path), crop=48, short_side2=None, jitter=False, seed=0)
    ds = DATASETS.build(cfg)
    assert len(ds) == 1
    full = ds.load_pair(0)
    assert np.isnan(full['aflow'][:, 0:8, 0:8]).all() and np.isnan(full['aflow'][:, 8:16, 24:32]).all()
    assert np.isfinite(full['aflow']).mean() == pytest.approx(0.75, abs=0.01)
    assert full['aflow'][:, 10, 66].tolist() == [70.0, 12.0]  # (x + 4, y + 2)
    item = ds[0]
    assert item['inputs'].shape == (2, 3, 48, 48) and item['inputs'].dtype == torch.uint8
    sample = item['data_samples']
    assert sample.img_path.endswith('101.png') and sample.img2_path.endswith('102.png')
    f = sample.aflow.numpy()
    ok = np.isfinite(f).all(0)
    assert 0.6 < ok.mean() < 0.9  # masked cells are NaN in the crop too
    torch.testing.assert_close(ds[0]['inputs'], item['inputs'])  # a fixed seed gives fixed crops
    inside = ok & (f[0] >= 0) & (f[0] <= 47) & (f[1] >= 0) & (f[1] <= 47)
    a, b = (item['inputs'][i].permute(1, 2, 0).numpy() for i in (0, 1))
    np.testing.assert_array_equal(b[f[1, inside].round().astype(int), f[0, inside].round().astype(int)], a[inside])


def test_dataset_pair_list_and_layout_errors(tmp_path):
    img1, img2 = write_official_layout(tmp_path / 'aachen', with_masks=False)
    with pytest.raises(FileNotFoundError, match=r'1 flow files have no mask, e\.g\. .*101_102\.png'):
        DATASETS.build(dict(type='R2D2FlowPairDataset', data_root=str(tmp_path / 'aachen')))
    ds = DATASETS.build(dict(type='R2D2FlowPairDataset', data_root=str(tmp_path / 'aachen'), mask_dir=None))
    assert np.isfinite(ds.load_pair(0)['aflow']).all()
    (tmp_path / 'aachen' / 'optical_flow' / 'flow' / '101-102.png').write_bytes(b'')
    with pytest.raises(ValueError, match='named <tag1>_<tag2>'):
        DATASETS.build(dict(type='R2D2FlowPairDataset', data_root=str(tmp_path / 'aachen'), mask_dir=None))
    # a KITTI-style pair list with a .flo and a 16-bit PNG flow
    kitti = tmp_path / 'kitti'
    (kitti / 'image_2').mkdir(parents=True)
    Image.fromarray(img1).save(kitti / 'image_2' / '000000_10.png')
    Image.fromarray(img2).save(kitti / 'image_2' / '000000_11.png')
    flow = translation_flow(96, 112, 4, 2)
    flow[:5] = np.nan
    write_kitti_flow(str(kitti / 'flow_occ' / '000000_10.png'), flow)
    write_flo(str(kitti / 'flo' / '000000_10.flo'), flow)
    (kitti / 'pairs.txt').write_text('# img1 img2 flow\nimage_2/000000_10.png image_2/000000_11.png '
                                     'flow_occ/000000_10.png\n\nimage_2/000000_10.png image_2/000000_11.png '
                                     'flo/000000_10.flo\n')
    ds = DATASETS.build(dict(type='R2D2FlowPairDataset', data_root=str(kitti), ann_file='pairs.txt', crop=32,
                             seed=1))
    assert len(ds) == 2
    for i in range(2):
        a = ds.load_pair(i)['aflow']
        assert np.isnan(a[:, :5]).all() and a[:, 50, 20].tolist() == [24.0, 52.0]
        assert ds[i]['data_samples'].aflow.shape == (2, 32, 32)
    (kitti / 'bad.txt').write_text('image_2/000000_10.png image_2/000000_11.png\n')
    with pytest.raises(ValueError, match=r'bad\.txt:1: expected "img1 img2 flow \[mask\]"'):
        DATASETS.build(dict(type='R2D2FlowPairDataset', data_root=str(kitti), ann_file='bad.txt'))
    (kitti / 'bad.txt').write_text('image_2/000000_10.png image_2/000000_11.png flow_occ/nope.png\n')
    with pytest.raises(FileNotFoundError, match=r'bad\.txt:1: file not found: .*nope\.png'):
        DATASETS.build(dict(type='R2D2FlowPairDataset', data_root=str(kitti), ann_file='bad.txt'))
    (kitti / 'size.txt').write_text('image_2/000000_11.png image_2/000000_10.png flo/small.flo\n')
    write_flo(str(kitti / 'flo' / 'small.flo'), translation_flow(10, 10))
    with pytest.raises(ValueError, match=r'small\.flo: flow is 10x10 but image 1 is 112x96'):
        DATASETS.build(dict(type='R2D2FlowPairDataset', data_root=str(kitti), ann_file='size.txt'))[0]


def test_mixed_config_trains_on_synthetic_and_flow_pairs(tmp_path):
    """The W A S F config: synthetic pairs from web and Aachen images, style-transfer still pairs and flow pairs,
    concatenated; one loss step."""
    img1, _ = write_official_layout(tmp_path / 'aachen')
    (tmp_path / 'aachen' / 'style_transfer').mkdir()
    Image.fromarray(255 - img1).save(tmp_path / 'aachen' / 'style_transfer' / '101.jpg.st_0.png')
    (tmp_path / 'web').mkdir()
    for i in range(2):
        Image.fromarray(texture(120, 160, seed=10 + i)).save(tmp_path / 'web' / f'{i}.jpg')
    cfg = Config.fromfile(os.path.join(REPO, 'configs', 'r2d2', 'r2d2_l2net_1xb8-25e_synthetic-flow-pairs.py'))
    synth, aachen, still, flow = cfg.train_dataloader.dataset.datasets
    assert [d.type for d in (synth, aachen, still, flow)] == [
        'R2D2SyntheticPairDataset', 'R2D2SyntheticPairDataset', 'R2D2StillPairDataset', 'R2D2FlowPairDataset']
    synth.update(img_dir=str(tmp_path / 'web'), crop=48, short_side=(96, 120), seed=0)
    aachen.update(img_dir=str(tmp_path / 'aachen' / 'images_upright' / 'db'), crop=48, short_side=(96, 120), seed=0)
    still.update(data_root=str(tmp_path / 'aachen'), crop=48, short_side=(96, 120), seed=0)
    flow.update(data_root=str(tmp_path / 'aachen'), crop=48, short_side2=(64, 128), seed=0)
    with DefaultScope.overwrite_default_scope('wsl'):  # MMEngine's ConcatDataset builds its parts in the scope
        ds = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(ds) == 2 + 2 + 1 + 1
    items = [ds[0], ds[4], ds[5]]  # one synthetic, one still, one flow pair
    assert 'homography' in items[0]['data_samples'] and 'flow_path' in items[2]['data_samples']
    assert items[1]['data_samples'].img2_path.endswith('101.jpg.st_0.png')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    data = model.data_preprocessor(pseudo_collate(items), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_reliability', 'loss_cosim16', 'loss_peaky16'}
    assert all(torch.isfinite(v) and 0 < v.item() < 1.5 for v in losses.values())
