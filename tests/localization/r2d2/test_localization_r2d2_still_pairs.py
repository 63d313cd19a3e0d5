"""Still pairs (the official S source: Aachen day->night style transfers) as R2D2 training pairs."""
import os

import cv2
import numpy as np
import pytest
import torch

from wsl.localization.r2d2 import R2D2StillPairDataset, synthetic_pair


def _smooth_image(h=300, w=400, seed=0):
    rng = np.random.default_rng(seed)
    img = cv2.resize(rng.integers(0, 256, (12, 16, 3)).astype(np.uint8), (w, h), interpolation=cv2.INTER_CUBIC)
    return cv2.GaussianBlur(img, (0, 0), 3)


def _night(img, size):
    """A deterministic 'style transfer': another size and inverted colours."""
    return 255 - cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def _sample(img, aflow):
    """Bilinear lookup of (H, W, 3) img at aflow (2, h, w) positions; NaN outside."""
    x = aflow[0].astype(np.float32)
    y = aflow[1].astype(np.float32)
    out = cv2.remap(img.astype(np.float32), x, y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=np.nan)
    inside = (x >= 1) & (y >= 1) & (x <= img.shape[1] - 2) & (y <= img.shape[0] - 2)
    out[~inside] = np.nan
    return out


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_still_pair_flow_points_at_the_same_scene_point(seed):
    img1 = _smooth_image(seed=seed)
    img2 = _night(img1, (320, 240))  # W2/W = 0.8, H2/H = 0.8
    pair = synthetic_pair(img1, np.random.default_rng(seed), crop=96, short_side=(200, 300), noise=0, jitter=False,
                          img2=img2)
    assert pair is not None and pair['img1'].shape == (96, 96, 3) and pair['aflow'].shape == (2, 96, 96)
    looked_up = _sample(pair['img2'], pair['aflow'])
    valid = np.isfinite(looked_up).all(-1)
    assert valid.mean() > 0.3
    err = np.abs(looked_up[valid] - (255.0 - pair['img1'][valid]))
    # view 2 at the flow target is the inverted view 1 (up to two bilinear resamplings of a smooth image)
    assert np.median(err) < 4.0
    shuffled = np.abs(looked_up[valid] - (255.0 - np.roll(pair['img1'], 37, axis=(0, 1))[valid]))
    assert np.median(shuffled) > 5 * np.median(err)


def test_still_pair_without_img2_is_the_synthetic_pair():
    img = _smooth_image()
    a = synthetic_pair(img, np.random.default_rng(5), crop=64, short_side=(200, 300))
    b = synthetic_pair(img, np.random.default_rng(5), crop=64, short_side=(200, 300), img2=img)
    np.testing.assert_array_equal(a['aflow'], b['aflow'])
    np.testing.assert_array_equal(a['img1'], b['img1'])
    assert np.abs(a['img2'].astype(int) - b['img2'].astype(int)).max() <= 1  # same warp, img2 through D^-1 = I


def _write_aachen(root, tags=('1001', '1002')):
    db = root / 'images_upright' / 'db'
    st = root / 'style_transfer'
    db.mkdir(parents=True)
    st.mkdir()
    for i, tag in enumerate(tags):
        img = _smooth_image(seed=i)
        cv2.imwrite(str(db / f'{tag}.jpg'), img)
        cv2.imwrite(str(st / f'{tag}.jpg.st_night{i}.jpg'), _night(img, (320, 240)))
    return root


def test_official_layout_and_items(tmp_path):
    root = _write_aachen(tmp_path / 'aachen')
    ds = R2D2StillPairDataset(data_root=str(root), crop=64, short_side=(200, 300), seed=3)
    assert len(ds) == 2
    info = ds.get_data_info(1)
    assert info['img_path'].endswith('images_upright/db/1002.jpg')
    assert os.path.basename(info['img2_path']) == '1002.jpg.st_night1.jpg'
    item = ds[0]
    assert item['inputs'].shape == (2, 3, 64, 64) and item['inputs'].dtype == torch.uint8
    assert item['data_samples'].aflow.shape == (2, 64, 64)
    again = ds[0]
    assert torch.equal(item['inputs'], again['inputs'])  # seeded: the same pair every time


def test_pair_list_and_errors(tmp_path):
    root = _write_aachen(tmp_path / 'aachen')
    lst = tmp_path / 'pairs.txt'
    lst.write_text('# img1 img2\nimages_upright/db/1001.jpg style_transfer/1001.jpg.st_night0.jpg\n')
    ds = R2D2StillPairDataset(data_root=str(root), ann_file=str(lst), crop=64, short_side=(200, 300), seed=0)
    assert len(ds) == 1 and ds.get_data_info(0)['img2_path'].endswith('1001.jpg.st_night0.jpg')
    lst.write_text('images_upright/db/1001.jpg\n')
    with pytest.raises(ValueError, match=r'pairs.txt:1: expected "img1 img2"'):
        R2D2StillPairDataset(data_root=str(root), ann_file=str(lst))
    lst.write_text('images_upright/db/1001.jpg style_transfer/missing.jpg\n')
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        R2D2StillPairDataset(data_root=str(root), ann_file=str(lst))
    (root / 'style_transfer' / '9999.jpg.st_x.jpg').write_bytes(b'')
    with pytest.raises(FileNotFoundError, match='no db image 9999'):
        R2D2StillPairDataset(data_root=str(root))
    os.remove(root / 'style_transfer' / '9999.jpg.st_x.jpg')
    (root / 'style_transfer' / 'oddname.jpg').write_bytes(b'')
    with pytest.raises(ValueError, match='named <db tag>.jpg.st_'):
        R2D2StillPairDataset(data_root=str(root))
    with pytest.raises(FileNotFoundError, match='style-transfer folder not found'):
        R2D2StillPairDataset(data_root=str(tmp_path / 'nowhere'))
