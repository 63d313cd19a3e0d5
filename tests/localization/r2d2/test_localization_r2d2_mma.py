"""HPatches reader, mutual-NN matching and MMA (the D2-Net protocol)."""
import numpy as np
import pytest
import torch
from PIL import Image

from wsl.localization.r2d2.feature_files import npz_feature_loader, save_features_npz
from wsl.localization.r2d2.hpatches import HPATCHES_HIGH_RES, list_hpatches_pairs, read_homography
from wsl.localization.r2d2.mma import hpatches_mma, mutual_nn_match, pair_accuracy, project_homography


def test_mutual_nn_match_hand_example():
    d1 = torch.tensor([[1., 0.], [0., 1.], [0.8, 0.6]])
    d2 = torch.tensor([[0., 1.], [1., 0.], [-1., 0.]])
    # 0 -> 1 (1.0) <- 0; 1 -> 0 (1.0) <- 1; 2 -> 1 (0.8) but 1's best is 0; d2[2]'s best is 1 (0.0): not mutual
    assert mutual_nn_match(d1, d2).tolist() == [[0, 1], [1, 0]]
    assert mutual_nn_match(d1[:0], d2).shape == (0, 2)


def test_project_homography():
    H = np.array([[2., 0, 1], [0, 1, -3], [0, 0, 1]])
    np.testing.assert_allclose(project_homography(np.array([[1., 2.]]), H), [[3., -1.]])
    Hp = np.array([[1., 0, 0], [0, 1, 0], [0.01, 0, 1]])  # projective: divide by 1 + 0.01 x
    np.testing.assert_allclose(project_homography(np.array([[100., 50.]]), Hp), [[50., 25.]])


def random_homography(rng):
    H = np.eye(3) + rng.normal(scale=[[0.05, 0.05, 3], [0.05, 0.05, 3], [1e-4, 1e-4, 0]])
    return H / H[2, 2]


def write_hpatches(root, rng, seqs=('i_alpha', 'v_beta', 'v_talent')):
    """Sequences with 6 tiny images and homographies; v_talent is one of the excluded ones."""
    hs = {}
    for seq in seqs:
        (root / seq).mkdir(parents=True)
        for k in range(1, 7):
            Image.fromarray((rng.random((20, 24, 3)) * 255).astype(np.uint8)).save(root / seq / f'{k}.ppm')
            if k > 1:
                hs[seq, k] = random_homography(rng)
                np.savetxt(root / seq / f'H_1_{k}', hs[seq, k])
    return hs


def test_list_pairs(tmp_path):
    rng = np.random.default_rng(0)
    hs = write_hpatches(tmp_path, rng)
    (tmp_path / 'readme.txt').write_text('not a sequence')
    pairs = list_hpatches_pairs(str(tmp_path))
    assert 'v_talent' in HPATCHES_HIGH_RES and len(HPATCHES_HIGH_RES) == 8
    assert [(p['sequence'], p['index']) for p in pairs] == [(s, k) for s in ('i_alpha', 'v_beta') for k in range(2, 7)]
    assert [p['kind'] for p in pairs] == ['i'] * 5 + ['v'] * 5
    assert pairs[3]['name1'] == 'i_alpha/1.ppm' and pairs[3]['name2'] == 'i_alpha/5.ppm'
    np.testing.assert_allclose(pairs[6]['H'], hs['v_beta', 3])
    assert len(list_hpatches_pairs(str(tmp_path), exclude=())) == 15


def test_bad_hpatches_inputs(tmp_path):
    rng = np.random.default_rng(0)
    write_hpatches(tmp_path, rng, seqs=('i_alpha', ))
    (tmp_path / 'i_alpha' / 'H_1_4').write_text('1 0 0\n0 1 0\n')
    with pytest.raises(ValueError, match=r'H_1_4: expected 3x3'):
        list_hpatches_pairs(str(tmp_path))
    (tmp_path / 'i_alpha' / 'H_1_4').unlink()
    with pytest.raises(FileNotFoundError, match='missing .*H_1_4'):
        list_hpatches_pairs(str(tmp_path))
    (tmp_path / 'x_weird').mkdir()
    with pytest.raises(ValueError, match='start with "i_" or "v_"'):
        list_hpatches_pairs(str(tmp_path), exclude=('i_alpha', ))
    with pytest.raises(ValueError, match='cannot read'):
        read_homography(str(tmp_path / 'nope'))


def test_exact_matches_give_mma_one(tmp_path):
    """Keypoints of image k are the homography images of image 1's, with the same descriptors."""
    rng = np.random.default_rng(1)
    hs = write_hpatches(tmp_path / 'hp', rng)
    pairs = list_hpatches_pairs(str(tmp_path / 'hp'))
    feats = tmp_path / 'feats'
    n = 50
    for seq in ('i_alpha', 'v_beta'):
        kp1 = rng.uniform(0, 24, (n, 2))
        desc = torch.nn.functional.normalize(torch.randn(n, 16), dim=1)
        scores = torch.rand(n)
        for k in range(1, 7):
            kp = kp1 if k == 1 else project_homography(kp1, hs[seq, k])
            kps = torch.cat([torch.from_numpy(kp).float(), torch.full((n, 1), 32.)], dim=1)
            perm = torch.from_numpy(rng.permutation(n))  # storage order must not matter
            save_features_npz(str(feats / seq / f'{k}.ppm.npz'),
                              dict(keypoints=kps[perm], scores=scores[perm], descriptors=desc[perm]), (24, 20))
    res = hpatches_mma(pairs, npz_feature_loader(str(feats)))
    assert res['thresholds'] == list(range(1, 11))
    np.testing.assert_allclose(res['mma'], np.ones(10), atol=1e-12)
    np.testing.assert_allclose(res['mma_i'], np.ones(10))
    assert res['num_pairs'] == 10 and res['num_pairs_i'] == res['num_pairs_v'] == 5
    assert res['mean_matches'] == n and res['mean_features'] == n
    top = hpatches_mma(pairs, npz_feature_loader(str(feats)), top_k=10)  # top-10 by score in both images
    np.testing.assert_allclose(top['mma'], np.ones(10))
    assert top['mean_matches'] == 10


def test_pair_accuracy_and_mean_of_ratios():
    H = np.eye(3)
    kp1 = np.array([[0., 0], [10, 0], [20, 0], [30, 0]])
    kp2 = kp1 + np.array([[0.5, 0], [0, 2.5], [4.0, 3.0], [20, 0]])  # errors 0.5, 2.5, 5, 20
    m = np.array([[0, 0], [1, 1], [2, 2], [3, 3]])
    acc = pair_accuracy(kp1, kp2, m, H, thresholds=(1, 3, 5, 10))
    np.testing.assert_allclose(acc, [0.25, 0.5, 0.75, 0.75])  # <= t, so 5 px counts at t = 5
    np.testing.assert_allclose(pair_accuracy(kp1, kp2, m[:0], H, (1, 2)), [0, 0])  # no match: 0
    # MMA is the mean of per-pair ratios: a pair with 4 matches at 1/4 and a pair with 1 exact match
    d = np.eye(4, dtype=np.float32)
    feats = {'a': dict(keypoints=kp1, descriptors=d, scores=np.ones(4)),
             'b': dict(keypoints=kp2, descriptors=d, scores=np.ones(4)),
             'c': dict(keypoints=kp1[:1], descriptors=d[:1], scores=np.ones(1))}
    pairs = [dict(name1='a', name2='b', kind='i', H=H), dict(name1='c', name2='c', kind='v', H=H)]
    res = hpatches_mma(pairs, feats.__getitem__, thresholds=(1, ))
    assert res['mma'] == [pytest.approx((0.25 + 1) / 2)]  # a pooled ratio would give 2/5
    assert res['mma_i'] == [0.25] and res['mma_v'] == [1.0]


def test_matches_figure(tmp_path):
    import cv2
    from wsl.localization.r2d2.match_figure import GREEN, RED, draw_matches, matches_figure
    from wsl.localization.r2d2.net import R2D2Net
    img1 = np.zeros((20, 30, 3), np.uint8)
    img2 = np.zeros((24, 16, 3), np.uint8)
    kp1, kp2 = np.array([[5., 10.], [25., 3.]]), np.array([[2., 4.], [10., 20.]])
    canvas = draw_matches(img1, img2, kp1, kp2, np.array([[0, 0], [1, 1]]), np.array([True, False]), gap=8)
    assert canvas.shape == (24, 30 + 8 + 16, 3)
    assert tuple(canvas[10, 5]) == GREEN and tuple(canvas[20, 38 + 10]) == RED  # endpoints, image 2 shifted
    assert (canvas[21:, :30] == 255).all()  # padding below the shorter image
    torch.manual_seed(0)
    rgb = (np.random.default_rng(0).random((32, 40, 3)) * 255).astype(np.uint8)
    out = matches_figure(R2D2Net().eval(), rgb, rgb, H=np.eye(3), path=str(tmp_path / 'fig.png'), min_size=16,
                         rel_thr=0, rep_thr=0, top_k=30)
    assert out['num_matches'] > 0 and out['num_correct'] == out['num_matches']  # the same image: all correct
    assert cv2.imread(str(tmp_path / 'fig.png')).shape == (32, 88, 3)
