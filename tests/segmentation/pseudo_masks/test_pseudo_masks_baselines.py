"""Filled-box and GrabCut baselines."""
import numpy as np

from wsl.segmentation.pseudo_masks import box_mask, filled_box_masks, grabcut_mask, grabcut_masks


def _scene():
    rng = np.random.default_rng(0)
    img = np.full((80, 80, 3), 225, np.uint8)
    img[:, :, 1] = np.linspace(180, 240, 80).astype(np.uint8)[None]
    yy, xx = np.mgrid[:80, :80]
    obj = (yy - 40) ** 2 + (xx - 36) ** 2 < 18 ** 2
    img[obj] = (170, 30, 40)
    img = np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)
    ys, xs = np.nonzero(obj)
    box = (xs.min(), ys.min(), xs.max(), ys.max())
    return img, obj, box


def test_filled_boxes():
    m = filled_box_masks(np.array([[1, 2, 3, 5], [0, 0, 9, 9]]), (8, 10))
    assert m.shape == (2, 8, 10) and m[0].sum() == 3 * 4 and m[1].sum() == 8 * 10
    assert m[0, 2:6, 1:4].all()


def test_grabcut_returns_the_object_inside_the_box():
    img, obj, box = _scene()
    m = grabcut_mask(img, box)
    inside = box_mask(box, obj.shape)
    assert m.dtype == bool and m.any()
    assert not (m & ~inside).any()
    iou = (m & obj).sum() / (m | obj).sum()
    box_iou = (inside & obj).sum() / (inside | obj).sum()
    assert iou > 0.9 and iou > box_iou + 0.1
    assert np.array_equal(grabcut_mask(img, box), m)  # seeded: deterministic
    ms = grabcut_masks(img, np.array([box, box], float))
    assert ms.shape == (2, 80, 80) and np.array_equal(ms[0], m)


def test_grabcut_degenerate_boxes_fall_back_to_the_box():
    img, obj, box = _scene()
    whole = grabcut_mask(img, (0, 0, 79, 79))  # no background sample outside: cannot run
    assert whole.all()
    thin = grabcut_mask(img, (10, 10, 10, 30))  # one column wide
    assert np.array_equal(thin, box_mask((10, 10, 10, 30), (80, 80)))
    assert not grabcut_mask(img, (10, 10, 10, 30), dict(empty_fallback=None)).any()
