"""Pieces of ``wsl bench r2d2ctx`` (the run itself is a benchmark, not a unit test)."""
import cv2
import numpy as np
import torch

from wsl.localization.r2d2.benchmark import (HELD_OUT, TRAIN_PICTURES, generated_texture, illumination_change, mma_of,
                                             random_eval_homography, skimage_picture)
from wsl.localization.r2d2.net import R2D2Net


def test_held_out_pictures_are_never_training_pictures():
    assert not set(HELD_OUT) & set(TRAIN_PICTURES)
    for name in ('astronaut', 'camera'):
        img = skimage_picture(name)
        assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8


def test_eval_homography_and_illumination():
    rng = np.random.default_rng(0)
    H = random_eval_homography(100, 80, rng)
    c = H @ np.array([49.5, 39.5, 1.0])
    assert np.linalg.norm(c[:2] / c[2] - [49.5, 39.5]) < 0.35 * 100  # the centre stays in view
    img = generated_texture(64, rng)
    assert img.shape == (64, 64, 3) and img.std() > 10
    lit = illumination_change(img, rng)
    assert lit.shape == img.shape and np.abs(lit.astype(int) - img).mean() > 1


def test_rootsift_mma_of_a_known_homography():
    """RootSIFT through the same MMA code: an unchanged pair matches exactly; a 2x downscale is found too."""
    from wsl.localization.r2d2.benchmark import mma_of_features
    from wsl.localization.r2d2.sift import rootsift_features
    img = cv2.resize(skimage_picture('camera'), (256, 256), interpolation=cv2.INTER_AREA)
    same = mma_of_features([dict(img1=img, img2=img.copy(), H=np.eye(3))], lambda x: rootsift_features(x, 300))
    np.testing.assert_allclose(same['mma'], np.ones(10))
    H = np.diag([0.75, 0.75, 1.0])
    small = cv2.warpPerspective(img, H, (192, 192), flags=cv2.INTER_AREA)
    r = mma_of_features([dict(img1=img, img2=small, H=H)], lambda x: rootsift_features(x, 300))
    assert r['mma'][2] > 0.5 and r['mma'][0] <= r['mma'][2] <= r['mma'][9]


def test_mma_of_an_unchanged_pair_is_one():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    img = cv2.resize(generated_texture(64, rng), (48, 40))
    res = mma_of(R2D2Net().eval(), [dict(img1=img, img2=img.copy(), H=np.eye(3))], min_size=16, top_k=40,
                 rel_thr=0, rep_thr=0)
    np.testing.assert_allclose(res['mma'], np.ones(10))
    assert res['mean_keypoints'] == 40 and res['images_per_s'] > 0


def _tiny_pairs(n=4, crop=48):
    from wsl.localization.r2d2.benchmark import training_pairs
    return training_pairs(n, crop, np.random.default_rng(0))


def test_train_briefly_resumes_to_the_same_model(tmp_path):
    """An interrupted run resumes from its last checkpoint and ends with the uninterrupted run's weights."""
    import pytest

    import wsl.localization  # noqa: F401  (registers the models)
    from wsl.localization.r2d2.benchmark import train_briefly
    data, cfg = _tiny_pairs(), dict(type='R2D2')
    ref = train_briefly(cfg, data, iters=4, batch=2, seed=3)
    calls = []

    def evaluate(model):
        calls.append(model.training)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the "crash" after the step-2 checkpoint was written
        return dict(mma=[0.5] * 10)

    with pytest.raises(KeyboardInterrupt):
        train_briefly(cfg, data, 4, 2, 3, eval_at=(2, 3), evaluate=evaluate, ckpt_dir=str(tmp_path))
    assert calls == [False, False]  # evaluated in eval mode
    saved = torch.load(tmp_path / 'last.pth', weights_only=True)
    assert saved['state']['step'] == 2 and sorted(saved['state']['curve']) == [2]
    out = train_briefly(cfg, data, 4, 2, 3, eval_at=(2, 3), evaluate=lambda m: dict(mma=[0.25] * 10),
                        ckpt_dir=str(tmp_path))
    assert sorted(out['curve']) == [2, 3] and out['curve'][2]['mma'][0] == 0.5
    for (k, a), b in zip(ref['model'].state_dict().items(), out['model'].state_dict().values()):
        torch.testing.assert_close(a, b, msg=k)
    assert out['first_loss'] == pytest.approx(ref['first_loss'])
    with pytest.raises(ValueError, match='iters=4'):
        train_briefly(cfg, data, 5, 2, 3, ckpt_dir=str(tmp_path))


def test_mma_curves_figure(tmp_path):
    """The learning-curve figure: one panel per threshold, a line per model, the released score as a reference."""
    import matplotlib.image as mpimg
    import pytest

    from wsl.localization.r2d2.benchmark import plot_mma_curves
    from wsl.visualization import plot_series

    curve = [(100, dict(mma=[0.1 * k for k in range(10)])), (200, dict(mma=[0.09 * k for k in range(10)]))]
    refs = {'released': dict(mma=[0.5] * 10), 'RootSIFT': dict(mma=[0.3] * 10)}
    path = plot_mma_curves(dict(r2d2=curve, lg_ma=curve[:1]), refs, str(tmp_path / 'c.png'))
    img = mpimg.imread(path)
    assert img.shape[1] > 2 * img.shape[0]  # three panels side by side
    with pytest.raises(ValueError, match='2 x values but 1 y'):
        plot_series({'a': {'b': ([1, 2], [3])}}, str(tmp_path / 'x.png'))
    with pytest.raises(ValueError, match='no panels'):
        plot_series({}, str(tmp_path / 'x.png'))
