"""Multi-scale extraction: NMS and thresholds, the pyramid, top-k, and the folder tool's files."""
import os
import os.path as osp
import runpy
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from wsl.localization.r2d2.extract import extract_multiscale, normalize_rgb, pyramid_levels, r2d2_nms
from wsl.localization.r2d2.feature_files import (extract_folder, list_images, load_features_npz, load_rgb,
                                                 npz_feature_loader)
from wsl.localization.r2d2.net import R2D2Net

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def test_nms_and_thresholds_on_synthetic_map():
    rep = torch.zeros(6, 7)
    rep[1, 1] = 0.9  # isolated peak: kept
    rep[1, 2] = 0.8  # beside a higher one: suppressed
    rep[4, 1] = rep[4, 2] = 0.75  # plateau: both tied pixels are maxima (official == test)
    rep[3, 5] = 0.69  # a maximum below rep_thr
    rep[5, 6] = 0.7  # exactly at the threshold, in the corner: kept (>=)
    rep[0, 5] = 0.95  # a maximum whose reliability is too low
    rel = torch.full((6, 7), 0.8)
    rel[0, 5] = 0.6
    y, x = r2d2_nms(rel, rep)
    assert list(zip(y.tolist(), x.tolist())) == [(1, 1), (4, 1), (4, 2), (5, 6)]
    y, x = r2d2_nms(rel, rep, rel_thr=0.5, rep_thr=0.8)
    assert list(zip(y.tolist(), x.tolist())) == [(0, 5), (1, 1)]
    with pytest.raises(ValueError, match=r'\(H, W\)'):
        r2d2_nms(rel[None], rep[None])


def test_pyramid_levels_official_schedule():
    levels = pyramid_levels(768, 1024)  # defaults: max_size 1024, min_size 256
    assert [round(s, 3) for s, *_ in levels] == [1, 0.841, 0.707, 0.595, 0.5, 0.42, 0.354, 0.297, 0.25]
    assert all(p for *_, p in levels)
    assert levels[4][1:3] == (384, 512)
    big = pyramid_levels(1536, 2048)  # larger than max_size: four unprocessed levels, then 1/2 .. 1/8
    assert [p for *_, p in big] == [False] * 4 + [True] * 9
    assert big[4][0] == pytest.approx(0.5) and big[-1][0] == pytest.approx(0.125)
    assert len(pyramid_levels(768, 1024, min_scale=0.3, max_size=9999, min_size=0)) == 7  # down to 0.297+0.001


class PeakNet:
    """A stand-in network: rel 0.8 everywhere, one repeatability peak at (h//2, w//4) whose height
    grows with the level width, and a descriptor that encodes the level width."""

    def __call__(self, img):
        h, w = img.shape[-2:]
        rep = torch.zeros(1, 1, h, w)
        rep[0, 0, h // 2, w // 4] = 0.7 + 0.2 * w / 400
        desc = torch.zeros(1, 4, h, w)
        desc[:, 0], desc[:, 1] = w / 400, 1
        return dict(reliability=torch.full((1, 1, h, w), 0.8), repeatability=rep,
                    descriptors=torch.nn.functional.normalize(desc, dim=1))


def test_extract_multiscale_coordinates_scales_and_topk():
    img = torch.zeros(1, 3, 300, 400)
    out = extract_multiscale(PeakNet(), img, min_size=100, max_size=400, top_k=0)
    levels = pyramid_levels(300, 400, min_size=100, max_size=400)
    assert len(levels) == 9 and len(out['scores']) == 9
    exp = torch.tensor([[(w // 4) * 400 / w, (h // 2) * 300 / h, 32 / s] for s, h, w, _ in levels])
    torch.testing.assert_close(out['keypoints'], exp)
    torch.testing.assert_close(out['scores'], torch.tensor([0.8 * (0.7 + 0.2 * w / 400) for _, _, w, _ in levels]))
    assert (out['scores'][:-1] >= out['scores'][1:]).all()
    torch.testing.assert_close(out['descriptors'].norm(dim=1), torch.ones(9))
    top = extract_multiscale(PeakNet(), img, min_size=100, max_size=400, top_k=5)
    torch.testing.assert_close(top['keypoints'], exp[:5])
    # rep >= 0.85 holds only at widths >= 300: levels s = 1 and 0.84
    thr = extract_multiscale(PeakNet(), img, min_size=100, max_size=400, rep_thr=0.85)
    torch.testing.assert_close(thr['keypoints'][:, 2], torch.tensor([32., 32 * 2**0.25]))
    with pytest.raises(ValueError, match='no pyramid level'):
        extract_multiscale(PeakNet(), img, min_scale=2.0)


def test_extract_real_network_invariants():
    torch.manual_seed(0)
    net = R2D2Net().eval()
    rgb = (np.random.default_rng(0).random((40, 56, 3)) * 255).astype(np.uint8)
    img = normalize_rgb(rgb)
    assert img.shape == (1, 3, 40, 56)
    mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    torch.testing.assert_close(img[0, :, 0, 0], (torch.tensor(rgb[0, 0] / 255., dtype=torch.float) - mean) / std)
    out = extract_multiscale(net, img, min_size=16, rel_thr=0, rep_thr=0, top_k=50)
    k = out['keypoints']
    assert 0 < len(k) <= 50
    assert (k[:, 0] >= 0).all() and (k[:, 0] < 56).all() and (k[:, 1] >= 0).all() and (k[:, 1] < 40).all()
    allowed = torch.tensor([32 * 2**(i / 4) for i in range(12)])  # 32 / s with s = 2^(-i/4)
    assert ((k[:, 2:3] - allowed[None]).abs().min(dim=1).values < 1e-4).all()
    # the best full-scale keypoints are local maxima of the full-resolution maps with the same score
    with torch.no_grad():
        maps = net(img)
    full = k[:, 2] == 32
    x, y = k[full, 0].long(), k[full, 1].long()
    torch.testing.assert_close(out['scores'][full], maps['reliability'][0, 0, y, x] * maps['repeatability'][0, 0, y, x])
    torch.testing.assert_close(out['descriptors'][full], maps['descriptors'][0, :, y, x].t())


def _write_images(root):
    rng = np.random.default_rng(0)
    (root / 'sub').mkdir(parents=True)
    Image.fromarray((rng.random((36, 48, 3)) * 255).astype(np.uint8)).save(root / 'a.png')
    Image.fromarray((rng.random((40, 32)) * 255).astype(np.uint8)).save(root / 'sub' / 'b.jpg')  # grey
    (root / 'notes.txt').write_text('not an image')


def test_extract_features_tool_writes_npz(tmp_path, monkeypatch):
    images = tmp_path / 'images'
    _write_images(images)
    assert list_images(str(images)) == ['a.png', 'sub/b.jpg']
    torch.manual_seed(0)
    net = R2D2Net().eval()
    ckpt = str(tmp_path / 'r2d2.pth')
    torch.save(dict(state_dict=net.state_dict(), meta=dict(model=dict(type='R2D2Net'))), ckpt)
    cfg = tmp_path / 'r2d2_cfg.py'
    cfg.write_text("model = dict(type='R2D2Net')\nextract_cfg = dict(top_k=7, rel_thr=0., rep_thr=0., min_size=16)\n")
    out = tmp_path / 'feats'
    monkeypatch.setattr(sys, 'argv', ['extract_features.py', str(cfg), ckpt, str(images), str(out), '--top-k', '9'])
    runpy.run_path(osp.join(REPO, 'tools', 'extract_features.py'), run_name='__main__')
    load = npz_feature_loader(str(out))
    for name in ('a.png', 'sub/b.jpg'):
        f = load(name)
        rgb = load_rgb(str(images / name))
        assert tuple(f['image_size']) == (rgb.shape[1], rgb.shape[0])
        ref = extract_multiscale(net, normalize_rgb(rgb), top_k=9, rel_thr=0., rep_thr=0., min_size=16)
        assert len(f['keypoints']) == 9  # the CLI's --top-k overrides the config's 7
        np.testing.assert_allclose(f['keypoints'], ref['keypoints'].numpy())
        np.testing.assert_allclose(f['scores'], ref['scores'].numpy())
        np.testing.assert_allclose(f['descriptors'], ref['descriptors'].numpy())
    # a single converted checkpoint works as well (default extraction settings)
    written = extract_folder(net, str(images), str(tmp_path / 'f2'), top_k=3, rel_thr=0, rep_thr=0, min_size=16)
    assert [osp.relpath(p, tmp_path / 'f2') for p in written] == ['a.png.npz', 'sub/b.jpg.npz']
    with pytest.raises(ValueError, match='unknown extraction settings'):
        extract_folder(net, str(images), str(tmp_path / 'f3'), topk=3)
    np.savez(tmp_path / 'bad.npz', keypoints=np.zeros((2, 3)))
    with pytest.raises(ValueError, match='missing fields'):
        load_features_npz(str(tmp_path / 'bad.npz'))


def test_hdf5_layout(tmp_path):
    h5py = pytest.importorskip('h5py', reason='h5py is not installed; HDF5 export is optional')
    images = tmp_path / 'images'
    _write_images(images)
    torch.manual_seed(0)
    net = R2D2Net().eval()
    h5_path = str(tmp_path / 'feats.h5')
    extract_folder(net, str(images), str(tmp_path / 'npz'), h5_path=h5_path, top_k=5, rel_thr=0, rep_thr=0,
                   min_size=16)
    with h5py.File(h5_path, 'r') as f:
        g = f['sub/b.jpg']
        npz = load_features_npz(str(tmp_path / 'npz' / 'sub' / 'b.jpg.npz'))
        np.testing.assert_array_equal(g['keypoints'][()], npz['keypoints'][:, :2])
        np.testing.assert_array_equal(g['scales'][()], npz['keypoints'][:, 2])
        np.testing.assert_array_equal(g['descriptors'][()], npz['descriptors'].T)  # (D, N) as hloc stores them
        assert tuple(g['image_size'][()]) == (32, 40)


WEIGHTS = os.environ.get('WSL_R2D2_WEIGHTS', osp.join(osp.dirname(REPO), 'shared', 'weights', 'r2d2_WASF_N16.pt'))


@pytest.mark.skipif(not osp.isfile(WEIGHTS), reason=f'released R2D2 weights not found at {WEIGHTS} '
                    '(set WSL_R2D2_WEIGHTS to r2d2_WASF_N16.pt)')
def test_released_weights_match_a_warped_photograph():
    """End to end with the released model: a real photograph and its homography warp with a
    brightness change, extracted, mutually matched and scored like an HPatches pair."""
    cv2 = pytest.importorskip('cv2')
    skdata = pytest.importorskip('skimage.data')
    from wsl.localization.r2d2.inference import init_r2d2_net
    from wsl.localization.r2d2.mma import mutual_nn_match, pair_accuracy
    net, _ = init_r2d2_net(WEIGHTS)
    img = cv2.resize(skdata.astronaut(), (160, 160), interpolation=cv2.INTER_AREA)
    H = np.array([[0.9, 0.08, 8], [-0.05, 0.95, 6], [1e-4, -2e-4, 1]])
    img2 = cv2.warpPerspective(img, H, (160, 160), flags=cv2.INTER_LINEAR)
    img2 = np.clip(img2.astype(np.float32) * 0.8 + 10, 0, 255).astype(np.uint8)
    f1, f2 = (extract_multiscale(net, normalize_rgb(x), min_size=64, max_size=160, top_k=500) for x in (img, img2))
    assert len(f1['scores']) == 500 and f1['scores'].min() >= 0.49  # both maps passed 0.7
    m = mutual_nn_match(f1['descriptors'], f2['descriptors']).numpy()
    acc = pair_accuracy(f1['keypoints'].numpy(), f2['keypoints'].numpy(), m, H, thresholds=(1, 3, 10))
    assert len(m) > 150 and acc[1] > 0.85 and acc[2] > 0.95  # measured: 274 matches, 0.92 @3 px, 1.0 @10 px
