"""BBAM post-processing: quantile thresholds, ignore band, blur rule, CRF, fallbacks, variants."""
import cv2
import numpy as np
import pytest

from wsl.segmentation.pseudo_masks import (ImageCRF, blur_kernel_half_size, box_mask, crf_foreground, dense_crf,
                                           postprocess_config, postprocess_image, postprocess_instance,
                                           rank_threshold)
from wsl.testing import blurred_square_scene


def _ramp_case():
    """40x40 image, box (10, 10, 19, 19) = 100 pixels holding the distinct values 1.5, 2.5, ..., 100.5."""
    img = np.full((40, 40, 3), 128, np.uint8)
    bbam = np.zeros((40, 40), np.float32)
    bbam[10:20, 10:20] = (np.arange(100, dtype=np.float32) + 1.5).reshape(10, 10)
    return img, bbam, (10, 10, 19, 19)


def test_box_mask_conventions():
    assert box_mask((10, 10, 19, 19), (40, 40)).sum() == 100           # x1..x2 inclusive
    assert box_mask((10, 10, 19, 19), (40, 40), inclusive=False).sum() == 81  # official [y1:y2, x1:x2]
    assert box_mask((-5, 30, 100, 45), (40, 40)).sum() == 10 * 40        # clipped to the image
    assert box_mask((5, 5, 4, 9), (40, 40)).sum() == 0                   # degenerate box


def test_rank_threshold_saturates_the_top_fraction():
    _, bbam, box = _ramp_case()
    m = bbam / bbam.max()
    # int(100 * 0.15) = 15 and int(100 * 0.8) = 80 pixels reach exactly 1 (the +1e-8 keeps the pivot below 1)
    assert (rank_threshold(m, 100, 0.85) == 1.0).sum() == 15
    assert (rank_threshold(m, 100, 0.2) == 1.0).sum() == 80
    out = rank_threshold(m, 100, 0.85)
    assert out.min() == 0 and out[0, 0] == 0  # outside the box stays 0


def test_quantile_masks_and_ignore_band_hand_counts():
    img, bbam, box = _ramp_case()
    cfg = postprocess_config('code-parity', crf=None, blur=False)
    r = postprocess_instance(bbam, box, img, cfg)
    # strict: thr = 85.5 (rank 15), fg where v / 85.5 > 0.9  -> v >= 77.5 -> 24 pixels
    # loose:  thr = 20.5 (rank 80), fg where v / 20.5 > 0.9  -> v >= 18.5 -> 83 pixels
    assert r['strict'].sum() == 24 and r['loose'].sum() == 83
    assert r['fallback'] == 'none'
    assert not (r['strict'] & ~r['loose']).any()
    res = postprocess_image(bbam[None], np.array([box], float), img, cfg)
    assert res['ignore'].sum() == 83 - 24
    assert res['strict'][0].sum() == 24 and res['fallbacks'] == ['none']
    # everything stays inside the box
    assert not (res['loose'][0] & ~box_mask(box, (40, 40))).any()


def test_paper_variant_value_thresholds():
    img, bbam, box = _ramp_case()
    cfg = postprocess_config('paper', crf=None, paper_values='bbam')
    assert cfg['theta_fg'] == 0.8 and cfg['theta_bg'] == 0.2 and not cfg['blur']
    r = postprocess_instance(bbam, box, img, cfg)
    v = (np.arange(100) + 1.5) / 100.5  # normalised values
    assert r['strict'].sum() == (v > 0.8).sum() == 21  # values 80.5 .. 100.5 (> 0.8 * 100.5)
    assert r['loose'].sum() == (v >= 0.2).sum() == 81  # values 20.5 .. 100.5


def test_blur_kernel_size_rule():
    # k = int(16 + 48 sqrt(A_box / (W H)))
    assert blur_kernel_half_size(500 * 375, 375, 500) == 64
    assert blur_kernel_half_size(500 * 375 / 4, 375, 500) == 40
    assert blur_kernel_half_size(0.01 * 500 * 375, 375, 500) == 20  # 16 + 4.8
    assert blur_kernel_half_size(100, 100, 100) == 20               # 16 + 48 * 0.1 = 20.8


def test_crf_sharpens_a_blurred_square():
    img, sq, blur = blurred_square_scene()

    def iou(a, b):
        return (a & b).sum() / (a | b).sum()

    q = crf_foreground(img, blur)
    assert q.shape == (64, 64) and q.dtype == np.float32 and 0 <= q.min() and q.max() <= 1
    for t in (0.5, 0.9):
        assert iou(q > t, sq) > iou(blur > t, sq) + 0.1
        assert iou(q > t, sq) > 0.95


def test_reused_crf_equals_a_fresh_one():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (24, 30, 3), dtype=np.uint8)
    shared = ImageCRF(img, dict(bilateral_sxy=10))
    for _ in range(3):
        p = cv2.GaussianBlur(rng.random((24, 30)), (0, 0), 2)
        assert np.array_equal(shared.foreground(p), crf_foreground(img, p, dict(bilateral_sxy=10)))
    q = dense_crf(img, np.stack([p, 1 - p]))
    np.testing.assert_allclose(q.sum(0), 1, atol=1e-5)
    with pytest.raises(ValueError, match='probs must be'):
        shared.posterior(np.ones((2, 5, 5)))
    with pytest.raises(KeyError, match='unknown CRF settings'):
        ImageCRF(img, dict(sxy=3))


def _square_scene(seed=0):
    rng = np.random.default_rng(seed)
    img = np.full((96, 96, 3), 210, np.uint8)
    obj = np.zeros((96, 96), bool)
    obj[30:70, 25:65] = True
    img[obj] = (180, 40, 40)
    img = np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)
    return img, obj, (25, 30, 64, 69)


def test_full_code_parity_pipeline_recovers_an_object():
    img, obj, box = _square_scene()
    # a sparse, blobby low-res "BBAM": a few peaks inside the object
    low = np.zeros((6, 6), np.float32)
    low[2, 2] = 1.0
    low[3, 3] = 0.7
    low[2, 3] = 0.4
    bbam = cv2.resize(low, (96, 96), interpolation=cv2.INTER_LINEAR)
    r = postprocess_instance(bbam, box, img)
    inside = box_mask(box, (96, 96))
    for key in ('strict', 'loose'):
        assert r[key].shape == (96, 96) and r[key].dtype == bool
        assert not (r[key] & ~inside).any()
        assert (r[key] & obj).sum() / (r[key] | obj).sum() > 0.9


@pytest.mark.parametrize('variant', ['code-parity', 'paper'])
def test_zero_map_always_returns_a_mask(variant):
    img, obj, box = _square_scene()
    r = postprocess_instance(np.zeros((12, 12), np.float32), box, img, postprocess_config(variant))
    assert r['fallback'] == 'zero'
    assert r['strict'].any() and np.array_equal(r['strict'], r['loose'])
    assert (r['strict'] & obj).sum() / (r['strict'] | obj).sum() > 0.9  # the prior + CRF snaps to the object
    # a BBAM that is non-zero only outside the box is an empty BBAM as well
    outside = np.zeros((96, 96), np.float32)
    outside[:10, :10] = 1
    assert postprocess_instance(outside, box, img, postprocess_config(variant))['fallback'] == 'zero'


def test_zero_map_without_accepted_prior_still_gives_one_mask_per_box():
    img, obj, box = _square_scene()
    # no prior can be accepted (threshold 1.0 is never exceeded): the official code appended nothing here
    cfg = postprocess_config(zero_accept_frac=1e9, fg_threshold=1.0)
    res = postprocess_image(np.zeros((3, 96, 96), np.float32), np.array([box, box, (0, 0, 9, 9)], float), img, cfg)
    assert res['strict'].shape == (3, 96, 96) and len(res['fallbacks']) == 3
    assert res['fallbacks'] == ['box'] * 3  # last attempt was empty -> filled box
    assert np.array_equal(res['strict'][2], box_mask((0, 0, 9, 9), (96, 96)))
    kept_empty = postprocess_instance(np.zeros((96, 96)), box, img, dict(cfg, empty_fallback=None))
    assert kept_empty['strict'].shape == (96, 96) and not kept_empty['strict'].any()


def test_small_mask_fallback_grows_a_tiny_mask():
    img, obj, _ = _square_scene()
    small_obj_box = (25, 30, 44, 49)  # 20 x 20 = 400 px, 4.3 % of the image
    bbam = np.zeros((96, 96), np.float32)
    bbam[38, 33] = 1.0  # a single hot pixel: the strict CRF mask is tiny
    cfg = postprocess_config(blur=False)
    r = postprocess_instance(bbam, small_obj_box, img, cfg)
    assert r['fallback'] == 'small'
    assert r['strict'].sum() > 400 / 3
    no_fb = postprocess_instance(bbam, small_obj_box, img, dict(cfg, small_fallback=False, empty_fallback=None))
    assert no_fb['strict'].sum() <= 400 / 5


def test_config_errors_name_the_field():
    with pytest.raises(ValueError, match='variant'):
        postprocess_config('exact')
    with pytest.raises(KeyError, match='th_fg_stric'):
        postprocess_config(th_fg_stric=0.9)
    with pytest.raises(ValueError, match='theta_fg'):
        postprocess_config(theta_fg=1.5)
    img, obj, box = _square_scene()
    with pytest.raises(ValueError, match='image must be'):
        postprocess_instance(np.zeros((4, 4)), box, img.astype(np.float32))
