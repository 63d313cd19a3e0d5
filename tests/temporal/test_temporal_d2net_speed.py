"""wsl bench d2net-speed's building blocks on tiny cases: identical detections, evaluation parity, result keys.

No timing is asserted (speed is measured by the benchmark only).
"""
import numpy as np
import pytest
import torch

from wsl.benchmarks.d2net_speed import (CONFIGS, compare_evaluation, compare_postprocess, measure_training,
                                        refined_test_scores)
from wsl.datasets.synthetic.wtalc import D2NET_SYNTHETIC, make_wtalc_synthetic
from wsl.temporal.metrics import IOU_SETS, evaluate_detection
from wsl.testing.d2net_reference import reference_legacy_map

RATE = 25 / 16


@pytest.fixture(scope='module')
def tiny_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('d2net_speed'))
    make_wtalc_synthetic(root, name=D2NET_SYNTHETIC['name'], num_classes=D2NET_SYNTHETIC['num_classes'],
                         num_train=12, num_test=4, feat_dim=D2NET_SYNTHETIC['feat_dim'], length_range=(40, 80),
                         seed=3)
    return root


def _smooth_video(rng, T, C):
    noise = rng.normal(size=(T + 8, C))
    r = np.stack([np.convolve(noise[:, c], np.ones(8) / 8, mode='valid')[:T] for c in range(C)], axis=1)
    return np.clip(0.25 + 0.4 * r, 0, 1) * rng.uniform(0.3, 1.0, size=C)


def test_training_measurement_keys_and_denoise_alternation(tiny_root):
    r = measure_training(CONFIGS['D2-Net'], tiny_root, iters=4, warmup=0, seed=0)
    assert set(r) == {'sec_per_iter', 'iters_per_s', 'sec_per_iter_with_LD', 'sec_per_iter_without_LD', 'peak_mb',
                      'batch_size', 'iters'}
    assert r['iters'] == 4 and r['batch_size'] == 10
    assert r['iters_per_s'] == pytest.approx(1 / r['sec_per_iter'])
    # steady state: L_D on every other step (denoise_interval 2), so both kinds were timed and average out
    assert np.isfinite(r['sec_per_iter_with_LD']) and np.isfinite(r['sec_per_iter_without_LD'])
    assert r['sec_per_iter'] == pytest.approx((r['sec_per_iter_with_LD'] + r['sec_per_iter_without_LD']) / 2)
    ce = measure_training(CONFIGS['CE'], tiny_root, iters=2, warmup=0, seed=0)
    assert np.isnan(ce['sec_per_iter_with_LD']) and ce['sec_per_iter_without_LD'] == pytest.approx(ce['sec_per_iter'])


def test_postprocess_comparison_on_model_scores_and_random_videos(tiny_root):
    from mmengine.config import Config

    from wsl.registry import DATASETS, MODELS
    from wsl.utils import find_config, register_all_modules
    register_all_modules()
    cfg = Config.fromfile(find_config(CONFIGS['D2-Net']))
    cfg.test_dataloader.dataset.data_root = tiny_root
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.x_ref.fill_(1.0)  # a non-zero reference so that λ' varies over the snippets
    videos = refined_test_scores(model, dataset)
    assert len(videos) == 4
    for v, i in zip(videos, range(len(dataset))):
        assert v['r'].shape == (len(dataset.video_features(i)), D2NET_SYNTHETIC['num_classes'])
        assert v['select'] is None  # code setting: class selection on r
        assert v['gt']['segments'].shape[1] == 2 and len(v['gt']['labels']) == len(v['gt']['segments'])
    rng = np.random.default_rng(0)
    videos += [dict(video=f'random{i}', r=_smooth_video(rng, int(rng.integers(30, 120)), 6), select=None)
               for i in range(6)]
    res = compare_postprocess(videos, model.test_cfg, repeats=1)
    assert res['identical'] == 1.0 and res['mismatched_videos'] == 0.0
    assert res['num_detections'] == sum(len(d['scores']) for d in res['detections'].values()) > 0
    assert set(res['detections']) == {v['video'] for v in videos}
    assert res['speedup'] == pytest.approx(res['reference_s'] / res['ours_s'])
    # a paper-style test_cfg (NMS 0.5, no contrast filter, 20 thresholds) is passed on to both implementations
    paper = dict(model.test_cfg, nms_iou=0.5, contrast_thr=None, thresholds=[j / 40 for j in range(1, 21)])
    assert compare_postprocess(videos, paper, repeats=1)['identical'] == 1.0


def test_evaluation_comparison_on_a_hand_made_case():
    videos = [dict(video='a', duration=20.0, gt=dict(segments=np.array([[0, 10], [20, 30]]) / RATE,
                                                      labels=np.array([0, 1]))),
              dict(video='b', duration=20.0, gt=dict(segments=np.array([[5, 15]]) / RATE, labels=np.array([0])))]
    dets = {'a': dict(segments=np.array([[0, 10], [20, 25]]), scores=np.array([0.9, 0.8]), labels=np.array([0, 1])),
            'b': dict(segments=np.array([[40, 44], [5, 14]]), scores=np.array([0.95, 0.5]), labels=np.array([0, 0]))}
    r = compare_evaluation(videos, dets, ['A', 'B'], RATE, repeats=1)
    # class A: b[40,44) FP (rank 1), a[0,10) TP, b[5,14) TP (IoU 0.9): P = 0, 1/2, 2/3 at R = 0, 1/2, 1 → AP 2/3;
    # class B: [20,25) has IoU 0.5 with [20,30): AP 1 up to IoU 0.5
    assert r['legacy@0.5'] == pytest.approx(100 * (2 / 3 + 1) / 2)
    assert r['legacy_avg'] == pytest.approx(100 * (2 / 3 + 1) / 2)
    assert r['legacy_matches_reference'] == 1.0 and r['reference_legacy_avg'] == pytest.approx(r['legacy_avg'])
    assert r['F1@0.5'] == pytest.approx(100 * 2 * (3 / 4) * 1 / (3 / 4 + 1))  # 3 TP, 1 FP, 0 FN
    assert r['activitynet@0.5'] == pytest.approx(r['legacy@0.5'])
    for key in ('legacy_s', 'activitynet_s', 'reference_legacy_s', 'speedup_legacy', 'eval_peak_mb'):
        assert np.isfinite(r[key])


@pytest.mark.parametrize('seed', range(4))
def test_legacy_evaluator_equals_the_official_loop(seed):
    rng = np.random.default_rng(seed)
    gt, dets = {}, {}
    for v in range(8):
        n = int(rng.integers(1, 5))
        s = np.sort(rng.integers(0, 200, size=n))
        gt[f'v{v}'] = dict(segments=np.stack([s, s + rng.integers(3, 30, size=n)], 1), labels=rng.integers(0, 3, n))
        m = int(rng.integers(0, 8))
        ps = rng.integers(0, 200, size=m)
        dets[f'v{v}'] = dict(segments=np.stack([ps, ps + rng.integers(2, 30, size=m)], 1),
                             scores=rng.random(m), labels=rng.integers(0, 3, m))
    ious = IOU_SETS['0.1:0.5']
    ours = evaluate_detection({v: dict(g, segments=g['segments'] / RATE) for v, g in gt.items()},
                              {v: dict(d, segments=d['segments'] / RATE) for v, d in dets.items()}, ious, 'legacy')
    np.testing.assert_allclose(ours['mAP'], reference_legacy_map(dets, gt, ious), rtol=0, atol=1e-9)


def _loop_match(p_vid, p_seg, p_score, g_vid, g_seg, thr, protocol):
    """One prediction at a time: first fit (legacy) or best tIoU (ActivityNet) among the unmatched GT."""
    order = sorted(range(len(p_vid)), key=lambda i: -p_score[i])
    tp = np.zeros((len(thr), len(order)), bool)
    for k, t in enumerate(thr):
        locked = set()
        for rank, i in enumerate(order):
            best, best_iou = None, -1.0
            for j in range(len(g_vid)):
                if g_vid[j] != p_vid[i] or j in locked:
                    continue
                inter = max(0.0, min(p_seg[i][1], g_seg[j][1]) - max(p_seg[i][0], g_seg[j][0]))
                union = (p_seg[i][1] - p_seg[i][0]) + (g_seg[j][1] - g_seg[j][0]) - inter
                iou = inter / union if union > 0 else 0.0
                if iou >= t and (protocol == 'activitynet' and iou > best_iou or best is None):
                    best, best_iou = j, iou
                    if protocol == 'legacy':
                        break
            if best is not None:
                locked.add(best)
                tp[k, rank] = True
    return tp


@pytest.mark.parametrize('protocol', ['legacy', 'activitynet'])
def test_vectorized_matching_equals_a_per_prediction_loop(protocol):
    from wsl.temporal.metrics.detection_map import _match_class
    rng = np.random.default_rng(1)
    for _ in range(20):
        g_vid = rng.integers(0, 4, size=int(rng.integers(1, 12))).astype(str).astype(object)
        gs = rng.integers(0, 60, size=len(g_vid)).astype(float)
        g_seg = np.stack([gs, gs + rng.integers(1, 20, size=len(g_vid))], 1)
        p_vid = rng.integers(0, 5, size=int(rng.integers(0, 30))).astype(str).astype(object)  # video 4: no GT
        ps = rng.integers(0, 60, size=len(p_vid)).astype(float)
        p_seg = np.stack([ps, ps + rng.integers(1, 20, size=len(p_vid))], 1)
        p_score = np.round(rng.random(len(p_vid)), 1)  # ties: stable order
        thr = IOU_SETS['0.1:0.7']
        got = _match_class(p_vid, p_seg, p_score, g_vid, g_seg, thr, protocol)
        assert got.tolist() == _loop_match(p_vid, p_seg, p_score, g_vid, g_seg, thr, protocol).tolist()
