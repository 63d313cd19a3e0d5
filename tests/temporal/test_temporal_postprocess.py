"""Post-processing: hand-made OIC and NMS cases, and identity with the loop reference of the official code
(``wsl.testing.d2net_reference``)."""
import numpy as np
import pytest

from wsl.temporal.postprocess import (CODE_THRESHOLDS, class_scores, localize, nms_1d, outer_inner_contrast,
                                      refine_tcam, select_classes, threshold_runs)
from wsl.testing.d2net_reference import (reference_localize, reference_nms, reference_proposals,
                                         same_detections)


# ------------------------------------------------------------------------------------ tests
def test_runs_and_oic_on_hand_made_sequence():
    r = np.array([[0.0, 0.1, 0.8, 0.9, 0.7, 0.2, 0.0, 0.6, 0.6, 0.1]])
    k, s, e = threshold_runs(r, [0.5])
    assert s.tolist() == [2, 7] and e.tolist() == [5, 9]
    score, inner, outer = outer_inner_contrast(r, k, s, e)
    # [2,5): inner 0.8, m = 1, outer = (0.1 + 0.2)/2; [7,9): inner 0.6, outer = (0.0 + 0.1)/2
    np.testing.assert_allclose(inner, [0.8, 0.6])
    np.testing.assert_allclose(outer, [0.15, 0.05])
    np.testing.assert_allclose(score, [0.65, 0.55])
    # one-sided and whole-video proposals
    r2 = np.array([[1.0, 1.0, 1.0, 1.0, 0.5, 0.2]])
    sc, _, out = outer_inner_contrast(r2, np.array([0, 0]), np.array([0, 0]), np.array([4, 6]))
    np.testing.assert_allclose(sc, [0.5, 4.7 / 6])  # [0,4): 1 - 0.5 (right side only); [0,6): inner only
    assert np.isnan(out[1])
    # runs shorter than 2 snippets are dropped
    assert threshold_runs(np.array([[0.0, 0.9, 0.0, 0.9, 0.9]]), [0.5])[1].tolist() == [3]


def test_nms_on_hand_made_segments():
    starts = np.array([0, 1, 8, 9, 7])
    ends = np.array([10, 9, 12, 12, 10])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    # [1,9) IoU .8 with [0,10) → out; [8,12) IoU 2/12 → kept; [9,12) IoU 3/4 with [8,12) → out;
    # [7,10) has IoU exactly 3/10 with [0,10) → out (suppression at IoU >= 0.3), and 2/5 with [8,12)
    assert nms_1d(starts, ends, scores, 0.3).tolist() == [0, 2]
    assert nms_1d(starts, ends, scores, 0.4).tolist() == [0, 2]
    assert nms_1d(starts, ends, scores, 0.41).tolist() == [0, 2, 4]
    assert nms_1d(starts, ends, scores, 0.5).tolist() == [0, 2, 4]


def test_class_selection_rules():
    assert select_classes(np.array([0.8, 0.5, 0.39, 0.0]), 'half_max').tolist() == [True, True, False, False]
    assert not select_classes(np.zeros(3), 'half_max').any()
    # ActivityNet: threshold max(0.5, 3rd largest) → at most 2 classes
    assert select_classes(np.array([0.9, 0.8, 0.7, 0.1]), 'top2').tolist() == [True, True, False, False]
    assert select_classes(np.array([1.5, 0.9, 0.2, 0.1]), 'top2').tolist() == [True, False, False, False]
    r = np.array([[0.9, 0.1], [0.7, 0.3], [0.1, 0.2], [0.0, 0.8]] * 4)  # T = 16 → k = floor(16/8) = 2
    np.testing.assert_allclose(class_scores(r), [0.9, 0.8])


def test_refine_tcam_and_activitynet_rescale():
    tcam = np.array([[0.5, 1.0], [1.0, 0.2]])
    np.testing.assert_allclose(refine_tcam(tcam, np.array([0.2, 0.4])), [[0.1, 0.2], [0.4, 0.08]])
    np.testing.assert_allclose(refine_tcam(tcam, np.array([0.2, 0.4]), 2.0), [[0.5, 1.0], [2.0, 0.4]])


@pytest.mark.parametrize('seed', range(6))
def test_vectorized_equals_loop_reference(seed):
    rng = np.random.default_rng(seed)
    T, C = int(rng.integers(20, 160)), 5
    # smooth random activations so that runs of several lengths appear at many thresholds
    noise = rng.normal(size=(T + 8, C))
    r = np.stack([np.convolve(noise[:, c], np.ones(8) / 8, mode='valid')[:T] for c in range(C)], axis=1)
    r = np.clip(0.25 + 0.4 * r, 0, 1) * rng.uniform(0.3, 1.0, size=C)
    kw = [dict(), dict(nms_iou=0.5, contrast_thr=None), dict(score_ratio=0.0)][seed % 3]
    rule = 'top2' if seed == 5 else 'half_max'
    got = localize(r, class_rule=rule, **kw)
    ref = reference_localize(r, class_rule=rule, **kw)
    assert len(ref['scores']) > 0
    assert got['labels'].tolist() == ref['labels'].tolist()
    assert got['segments'].tolist() == ref['segments'].tolist()
    np.testing.assert_allclose(got['scores'], ref['scores'], rtol=0, atol=1e-12)
    assert same_detections(got, ref, atol=1e-12)


def test_reference_on_hand_made_sequence():
    # the reference itself against the hand-computed values of test_runs_and_oic_on_hand_made_sequence
    x = np.array([0.0, 0.1, 0.8, 0.9, 0.7, 0.2, 0.0, 0.6, 0.6, 0.1])
    props = reference_proposals(x, [0.5])
    assert [p[:2] for p in props] == [[2, 5], [7, 9]]
    np.testing.assert_allclose([p[2] for p in props], [0.65, 0.55])
    kept = reference_nms([[0, 10, 0.9], [1, 9, 0.8], [8, 12, 0.7], [9, 12, 0.6], [7, 10, 0.5]], 0.3)
    assert [p[:2] for p in kept] == [[0, 10], [8, 12]]
    # selection uses r by default; passing T instead changes which classes are localized
    r = np.zeros((16, 2))
    r[4:8, 0], r[10:14, 1] = 0.9, 0.3
    assert reference_localize(r)['labels'].tolist() == [0]
    t = r.copy()
    t[:, 1] *= 3
    assert set(reference_localize(r, select_scores=t)['labels'].tolist()) == {0, 1}
    assert not same_detections(reference_localize(r), reference_localize(r, select_scores=t))


def test_empty_and_degenerate_inputs():
    assert localize(np.zeros((0, 3)))['segments'].shape == (0, 2)
    assert localize(np.zeros((10, 3)))['scores'].size == 0
    # a constant video: one whole-video proposal per threshold below the value, scored by inner
    out = localize(np.full((12, 1), 0.3))
    assert out['segments'].tolist() == [[0, 12]] and np.allclose(out['scores'], [0.3])


def test_nms_matrix_and_row_paths_agree(monkeypatch):
    import wsl.temporal.postprocess as pp
    rng = np.random.default_rng(0)
    s = rng.integers(0, 100, size=300)
    e = s + rng.integers(2, 30, size=300)
    scores = np.round(rng.random(300), 2)  # many ties: the stable order decides
    groups = rng.integers(0, 3, size=300)
    got = {thr: pp.nms_1d(s, e, scores, thr, groups) for thr in (0.3, 0.5)}
    monkeypatch.setattr(pp, '_NMS_MATRIX_MAX', 0)  # long-list path: one IoU row per kept proposal
    for thr, keep in got.items():
        assert pp.nms_1d(s, e, scores, thr, groups).tolist() == keep.tolist()
        # class-wise: the same as one NMS per group, groups ascending
        per_group = [np.flatnonzero(groups == g)[pp.nms_1d(s[groups == g], e[groups == g], scores[groups == g], thr)]
                     for g in range(3)]
        assert keep.tolist() == np.concatenate(per_group).tolist()
