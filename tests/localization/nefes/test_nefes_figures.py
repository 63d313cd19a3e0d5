"""NeFeS figures: trajectory and feature-map PNGs hold what was passed in."""
import numpy as np
import pytest
from PIL import Image

from wsl.localization.nefes.figures import TRAJECTORY_COLORS, features_to_rgb, plot_feature_maps, plot_trajectories


def _poses(centres):
    poses = np.zeros((len(centres), 3, 4))
    poses[:, :, :3] = np.eye(3)
    poses[:, :, 3] = centres
    return poses


def _has_colour(img, rgb, tol=40):
    return bool((np.abs(img[..., :3].astype(int) - np.array(rgb) * 255).max(-1) < tol).sum() > 5)


def test_trajectory_png_shows_each_series_in_its_colour(tmp_path):
    theta = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    gt = _poses(np.stack([np.cos(theta), np.zeros(12), np.sin(theta)], 1))
    pred = gt.copy()
    pred[:, 0, 3] += 0.3
    refined = gt.copy()
    refined[:, 0, 3] += 0.05
    data = plot_trajectories(str(tmp_path / 'traj.png'), gt, pred, refined, title='room')
    assert np.allclose(data['gt'], gt[:, [0, 2], 3]) and np.allclose(data['pred'][:, 0], np.cos(theta) + 0.3)
    img = np.asarray(Image.open(tmp_path / 'traj.png').convert('RGB'))
    assert img.shape == (500, 500, 3)
    for key in ('gt', 'pred', 'refined'):
        assert _has_colour(img, TRAJECTORY_COLORS[key]), key
    data = plot_trajectories(str(tmp_path / 'traj2.png'), gt, pred)  # without refined poses: no blue
    assert 'refined' not in data
    img = np.asarray(Image.open(tmp_path / 'traj2.png').convert('RGB'))
    assert not _has_colour(img, TRAJECTORY_COLORS['refined'], tol=25)
    with pytest.raises(ValueError, match='same number'):
        plot_trajectories(str(tmp_path / 'x.png'), gt, pred[:5])


def test_shared_pca_colours_and_feature_png(tmp_path):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=16), rng.normal(size=16)
    feat = np.zeros((16, 6, 8))
    feat[:, :, :4] = a[:, None, None]  # left half one feature vector, right half another
    feat[:, :, 4:] = b[:, None, None]
    left, right = features_to_rgb([feat, feat])
    assert np.array_equal(left, right)  # one shared basis: identical maps get identical colours
    assert len({tuple(np.round(p, 6)) for p in left.reshape(-1, 3)}) == 2
    assert not np.allclose(left[0, 0], left[0, 7])
    assert left.min() >= 0 and left.max() <= 1
    query = rng.uniform(size=(3, 6, 8))
    out = plot_feature_maps(str(tmp_path / 'feat.png'), feat, feat * 2.0, query=query, render_rgb=query)
    # a scaled copy gets other colours in the shared basis, but still two of them, in the same halves
    assert not np.allclose(out['rendered'], out['extracted'])
    for pca in out.values():
        assert len({tuple(np.round(p, 6)) for p in pca.reshape(-1, 3)}) == 2 and not np.allclose(pca[0, 0], pca[0, 7])
    img = Image.open(tmp_path / 'feat.png')
    assert img.size == (int(2.6 * 4 * 100), 240)
    with pytest.raises(ValueError, match='differ'):
        plot_feature_maps(str(tmp_path / 'bad.png'), feat, feat[:, :3])
