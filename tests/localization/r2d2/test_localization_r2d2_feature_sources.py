"""Feature loaders for localization: the .npz folder and the hloc-layout HDF5 file give the same arrays."""
import os.path as osp

import numpy as np
import pytest
import torch

from wsl.localization.r2d2.feature_files import save_features_npz, write_features_h5
from wsl.localization.r2d2.feature_sources import h5_feature_loader, open_feature_loader
from wsl.localization.r2d2.sift import rootsift_features


def test_npz_and_h5_layouts_agree(tmp_path):
    h5py = pytest.importorskip('h5py')
    g = torch.Generator().manual_seed(0)
    feats = dict(keypoints=torch.rand(7, 3, generator=g) * 100, scores=torch.rand(7, generator=g),
                 descriptors=torch.nn.functional.normalize(torch.randn(7, 16, generator=g), dim=1))
    save_features_npz(osp.join(tmp_path, 'npz', 'db', 'a.jpg.npz'), feats, (120, 80))
    h5_path = osp.join(tmp_path, 'feats.h5')
    with h5py.File(h5_path, 'w') as f:
        write_features_h5(f, 'db/a.jpg', feats, (120, 80))
    a = open_feature_loader(osp.join(tmp_path, 'npz'))('db/a.jpg')
    b = open_feature_loader(h5_path)('db/a.jpg')
    np.testing.assert_allclose(a['keypoints'][:, :2], b['keypoints'])
    np.testing.assert_allclose(a['descriptors'], b['descriptors'])  # (N, D) from hloc's (D, N)
    np.testing.assert_allclose(a['scores'], b['scores'])
    with pytest.raises(KeyError, match="no features for image 'db/b.jpg'"):
        h5_feature_loader(h5_path)('db/b.jpg')
    with pytest.raises(ValueError, match='folder of <image>.npz files or an .h5'):
        open_feature_loader(osp.join(tmp_path, 'feats.txt'))


def test_rootsift_features_layout():
    rng = np.random.default_rng(0)
    img = (rng.random((96, 128, 3)) * 255).astype(np.uint8)
    img = np.ascontiguousarray(np.repeat(np.repeat(img[::8, ::8], 8, 0), 8, 1))  # blocky: corners and blobs
    f = rootsift_features(img, max_keypoints=50)
    n = len(f['scores'])
    assert 0 < n <= 50 and f['keypoints'].shape == (n, 3) and f['descriptors'].shape == (n, 128)
    np.testing.assert_allclose(f['descriptors'].norm(dim=1), 1, atol=1e-5)
    assert (f['descriptors'] >= 0).all()  # square roots of L1-normalised histograms
    assert torch.all(f['scores'][:-1] >= f['scores'][1:])
    empty = rootsift_features(np.zeros((32, 32, 3), np.uint8))
    assert empty['keypoints'].shape == (0, 3) and empty['descriptors'].shape == (0, 128)
