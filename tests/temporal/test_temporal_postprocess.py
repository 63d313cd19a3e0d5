"""Post-processing: hand-made OIC and NMS cases, and identity with a straightforward loop reference."""
import numpy as np
import pytest

from wsl.temporal.postprocess import (CODE_THRESHOLDS, class_scores, localize, nms_1d, outer_inner_contrast,
                                      refine_tcam, select_classes, threshold_runs)


# ----------------------------------------------------------------------------- loop reference
def ref_nms(props, iou_thr):
    """props: list of [s, e, score]; greedy by descending score (stable), IoU of index sets."""
    order = sorted(range(len(props)), key=lambda i: -props[i][2])
    todo = [props[i] for i in order]
    kept = []
    while todo:
        top = todo.pop(0)
        kept.append(top)
        a = set(range(top[0], top[1]))
        rest = []
        for p in todo:
            b = set(range(p[0], p[1]))
            if len(a & b) / len(a | b) < iou_thr:
                rest.append(p)
        todo = rest
    return kept


def ref_localize(r, thresholds=CODE_THRESHOLDS, nms_iou=0.3, contrast_thr=0.7, score_ratio=0.1, k_div=8,
                 rule='half_max'):
    T, C = r.shape
    k = max(1, int(T / k_div))
    cs = np.array([np.mean(sorted(r[:, c], reverse=True)[:k]) for c in range(C)])
    if rule == 'half_max':
        keep_cls = [c for c in range(C) if cs[c] > cs.max() / 2 and cs[c] > 0]
    else:
        a = 1 if (cs > 1).any() else 0.5
        keep_cls = [c for c in range(C) if cs[c] > max(a, sorted(cs)[-3])]
    out = []
    for c in keep_cls:
        x = r[:, c]
        props = []
        for th in thresholds:
            on = [0] + [int(v > th) for v in x] + [0]
            starts = [i for i in range(len(on) - 1) if on[i + 1] - on[i] == 1]
            ends = [i for i in range(len(on) - 1) if on[i + 1] - on[i] == -1]
            for s, e in zip(starts, ends):
                if e - s < 2:
                    continue
                m = max(1, int((e - s) / 4))
                sides = []
                if max(0, s - m) < s:
                    sides.append(np.mean(x[max(0, s - m):s]))
                if min(e + m, T) > e:
                    sides.append(np.mean(x[e:min(e + m, T)]))
                inner = np.mean(x[s:e])
                if sides:
                    outer = sides[0] if len(sides) == 1 else (sides[0] + sides[1]) / 2
                    if contrast_thr is not None and (outer - inner + 1) / 2 > contrast_thr:
                        continue
                    props.append([s, e, inner - outer])
                else:
                    props.append([s, e, inner])
        kept = ref_nms(props, nms_iou)
        if kept:
            top = kept[0][2]
            out += [(c, p[0], p[1], p[2]) for p in kept if p[2] >= score_ratio * top]
    return out


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
    ref = ref_localize(r, rule=rule, **kw)
    assert len(ref) > 0
    assert got['labels'].tolist() == [c for c, _, _, _ in ref]
    assert got['segments'].tolist() == [[s, e] for _, s, e, _ in ref]
    np.testing.assert_allclose(got['scores'], [sc for _, _, _, sc in ref], rtol=0, atol=1e-12)


def test_empty_and_degenerate_inputs():
    assert localize(np.zeros((0, 3)))['segments'].shape == (0, 2)
    assert localize(np.zeros((10, 3)))['scores'].size == 0
    # a constant video: one whole-video proposal per threshold below the value, scored by inner
    out = localize(np.full((12, 1), 0.3))
    assert out['segments'].tolist() == [[0, 12]] and np.allclose(out['scores'], [0.3])
