"""Synthetic homography pairs for R2D2 training: geometry, exact flow, the dataset's items."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from PIL import Image

from wsl.localization.r2d2.synthetic_pairs import _window, color_jitter, local_scale, synthetic_pair, tilt_homography
from wsl.registry import DATASETS, MODELS


def texture(h, w, seed=0):
    rng = np.random.default_rng(seed)
    small = (rng.random((h // 8, w // 8, 3)) * 255).astype(np.uint8)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def apply(H, x, y):
    p = H @ np.array([x, y, 1.0])
    return p[:2] / p[2]


def test_tilt_and_local_scale():
    H = tilt_homography(101, 51, direction=0, amount=10)  # left side stretched by 10 px at both ends
    np.testing.assert_allclose(apply(H, 0, 0), [0, -10], atol=1e-6)
    np.testing.assert_allclose(apply(H, 0, 50), [0, 60], atol=1e-6)
    np.testing.assert_allclose(apply(H, 100, 0), [100, 0], atol=1e-6)
    np.testing.assert_allclose(apply(H, 100, 50), [100, 50], atol=1e-6)
    H = tilt_homography(101, 51, direction=2, amount=5)  # top side
    np.testing.assert_allclose(apply(H, 0, 0), [-5, 0], atol=1e-6)
    np.testing.assert_allclose(apply(H, 100, 0), [105, 0], atol=1e-6)
    assert local_scale(np.diag([2., 2., 1.]), 3, 4) == pytest.approx(2)
    assert local_scale(np.diag([2., 0.5, 1.]), 3, 4) == pytest.approx(1)
    with pytest.raises(ValueError, match='0..3'):
        tilt_homography(10, 10, 4, 1)


def test_window_convention():
    np.testing.assert_allclose(_window(0, 0, 64, 64), np.eye(3))
    # the 128-px window starting at (10, 20), halved: output pixel 0 is the mean of source pixels 10 and 11
    # (centre 10.5), output pixel 63 the mean of 136 and 137, the window's last two
    A = _window(10, 20, 128, 64)
    np.testing.assert_allclose(apply(A, 10.5, 20.5), [0, 0])
    np.testing.assert_allclose(apply(A, 136.5, 146.5), [63, 63])


def test_synthetic_pair_flow_is_exact():
    img = texture(200, 240)
    p = synthetic_pair(img, np.random.default_rng(3), crop=64, short_side=(150, 180), jitter=False, noise=0)
    assert p['img1'].shape == p['img2'].shape == (64, 64, 3) and p['aflow'].shape == (2, 64, 64)
    f = p['aflow']
    inside = (f[0] >= 1) & (f[0] <= 62) & (f[1] >= 1) & (f[1] <= 62)
    assert inside.mean() >= 0.5
    back = cv2.remap(p['img2'], f[0], f[1], cv2.INTER_LINEAR).astype(float)
    err = np.abs(back - p['img1'])[inside].mean()
    shifted = cv2.remap(p['img2'], f[0] + 1.5, f[1], cv2.INTER_LINEAR).astype(float)
    assert err < 4 and np.abs(shifted - p['img1'])[inside].mean() > 2 * err  # the flow is the warp
    np.testing.assert_allclose(f[:, 10, 20], apply(p['H'], 20, 10), rtol=1e-5)
    q = synthetic_pair(img, np.random.default_rng(3), crop=64, short_side=(150, 180), jitter=False, noise=0)
    np.testing.assert_array_equal(q['img2'], p['img2'])  # deterministic given the generator
    assert synthetic_pair(texture(40, 40), np.random.default_rng(0), crop=64, short_side=(40, 40)) is None


def test_color_jitter():
    img = texture(16, 16)
    np.testing.assert_array_equal(color_jitter(img, np.random.default_rng(0), 0, 0, 0, 0), img)
    grey = np.full((4, 4, 3), 100, np.uint8)
    out = color_jitter(grey, np.random.default_rng(0), brightness=0.2, contrast=0, saturation=0, hue=0)
    factor = np.random.default_rng(0).uniform(0.8, 1.2)
    assert out[0, 0, 0] == int(100 * factor)


def test_dataset_items_train_a_step(tmp_path):
    for i in range(2):
        Image.fromarray(texture(120, 160, seed=i)).save(tmp_path / f'{i}.jpg')
    ds = DATASETS.build(dict(type='R2D2SyntheticPairDataset', img_dir=str(tmp_path), crop=48, short_side=(96, 120),
                             seed=0))
    assert len(ds) == 2
    item = ds[1]
    assert item['inputs'].shape == (2, 3, 48, 48) and item['inputs'].dtype == torch.uint8
    assert item['data_samples'].aflow.shape == (2, 48, 48) and item['data_samples'].img_path.endswith('1.jpg')
    torch.testing.assert_close(ds[1]['inputs'], item['inputs'])  # a fixed seed gives fixed pairs
    torch.manual_seed(0)
    model = MODELS.build(dict(type='R2D2')).train()
    data = model.data_preprocessor(pseudo_collate([ds[0], ds[1]]), training=True)
    losses = model(**data, mode='loss')
    assert all(torch.isfinite(v) and 0 < v.item() < 1.5 for v in losses.values())
    tiny = tmp_path / 'tiny'
    tiny.mkdir()
    Image.fromarray(texture(24, 24)).save(tiny / 't.png')
    item = DATASETS.build(dict(type='R2D2SyntheticPairDataset', img_dir=str(tiny), crop=48, short_side=(24, 24),
                               max_draws=2))[0]
    assert (item['inputs'] == 0).all() and torch.isnan(item['data_samples'].aflow).all()  # official fallback
