"""TemporalDetectionMAP's JSON output (outfile_prefix / format_only), detection F1, and the GT JSON round trip."""
import json

import numpy as np
import pytest
import torch

from wsl.temporal.metrics import (TemporalDetectionMAP, detection_f1, dump_activitynet_gt, evaluate_detection,
                                  load_activitynet_gt, load_activitynet_results, load_ambiguous, summarize)

SEC = 0.64
CLASSES = ('Diving', 'Shotput')


def _gt_preds():
    """Video a: 2 Diving GT; b: 1 Shotput GT; c: no GT (its prediction is FP for ActivityNet, ignored by legacy)."""
    gt = {'a': dict(segments=np.array([[0, 10], [4, 14]]) * SEC, labels=np.array([0, 0])),
          'b': dict(segments=np.array([[0, 10]]) * SEC, labels=np.array([1])),
          'c': dict(segments=np.zeros((0, 2)), labels=np.zeros(0, np.int64))}
    preds = {'a': dict(segments=np.array([[4, 14], [0, 8]]) * SEC, labels=np.array([0, 0]), scores=np.array([.9, .8])),
             'b': dict(segments=np.array([[0, 10]]) * SEC, labels=np.array([1]), scores=np.array([.6])),
             'c': dict(segments=np.array([[0, 10]]) * SEC, labels=np.array([1]), scores=np.array([.95]))}
    return gt, preds


def test_detection_f1_hand_computed():
    gt, preds = _gt_preds()
    # legacy: [4,14) takes GT 2 (IoU 1; GT 1 has IoU 6/14 < 0.5), [0,8) takes GT 1 (IoU 0.8), b matches; c ignored
    leg = detection_f1(gt, preds, 0.5, 'legacy')
    assert (leg['tp'], leg['fp'], leg['fn']) == (3, 0, 0) and leg['f1'] == pytest.approx(1.0)
    # ActivityNet: c's detection is a false positive -> P = 3/4, R = 1, F1 = 6/7
    anet = detection_f1(gt, preds, 0.5, 'activitynet')
    assert (anet['tp'], anet['fp'], anet['fn']) == (3, 1, 0)
    assert anet['precision'] == pytest.approx(0.75) and anet['f1'] == pytest.approx(6 / 7)
    # at IoU 0.9 only the exact matches count: [0,8) misses (0.8) -> TP 2, FP 2, FN 1
    strict = detection_f1(gt, preds, 0.9, 'activitynet')
    assert (strict['tp'], strict['fp'], strict['fn']) == (2, 2, 1) and strict['f1'] == pytest.approx(2 * 2 / 7)
    # an ambiguous segment over b's detection removes it: TP 2, FN 1
    amb = detection_f1(gt, preds, 0.5, 'legacy', ambiguous={'b': np.array([[5 * SEC, 6 * SEC]])})
    assert (amb['tp'], amb['fp'], amb['fn']) == (2, 0, 1)
    assert detection_f1({}, {}, 0.5)['f1'] == 0.0


def _samples(gt, preds, amb=None):
    out = []
    for v in gt:
        out.append(dict(video_name=v, duration=20.0,
                        gt_instances=dict(segments=torch.as_tensor(gt[v]['segments']),
                                          labels=torch.as_tensor(gt[v]['labels'])),
                        pred_instances=dict(segments=torch.as_tensor(preds[v]['segments']),
                                            scores=torch.as_tensor(preds[v]['scores']),
                                            labels=torch.as_tensor(preds[v]['labels'])),
                        ambiguous_segments=np.asarray((amb or {}).get(v, np.zeros((0, 2))))))
    return out


@pytest.mark.parametrize('protocol', ['legacy', 'activitynet'])
def test_metric_writes_json_that_reevaluates_identically(tmp_path, protocol):
    gt, preds = _gt_preds()
    amb = {'b': np.array([[5 * SEC, 6 * SEC]])}
    prefix = str(tmp_path / 'sub' / 'preds')
    metric = TemporalDetectionMAP(protocol=protocol, iou_thresholds='0.1:0.5', f1_iou=0.5, outfile_prefix=prefix)
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, _samples(gt, preds, amb))
    res = metric.compute_metrics(metric.results)
    assert res['F1@0.50'] == pytest.approx(100 * detection_f1(gt, preds, 0.5, protocol, amb)['f1'])
    g, order = load_activitynet_gt(f'{prefix}.gt.json')
    p = load_activitynet_results(f'{prefix}.results.json')
    assert order == list(CLASSES) and g['a']['labels'] == ['Diving', 'Diving'] and p['c']['labels'] == ['Shotput']
    np.testing.assert_allclose(g['a']['segments'], gt['a']['segments'])
    np.testing.assert_allclose(p['a']['scores'], [.9, .8])
    again = summarize(evaluate_detection(g, p, metric.iou_thresholds, protocol,
                                         load_ambiguous(f'{prefix}.ambiguous.json'), order))
    for k in ('mAP@0.10', 'mAP@0.50', 'avg@0.1:0.5'):
        assert again[k] == pytest.approx(res[k], abs=1e-12)
    with open(f'{prefix}.gt.json') as f:
        assert json.load(f)['database']['a']['duration'] == 20.0
    # a different protocol on the same files reproduces that protocol's in-memory result
    assert res['mAP@0.50'] == pytest.approx(
        summarize(evaluate_detection(gt, preds, metric.iou_thresholds, protocol, amb))['mAP@0.50'])


def test_format_only_and_argument_errors(tmp_path):
    gt, preds = _gt_preds()
    prefix = str(tmp_path / 'only')
    metric = TemporalDetectionMAP(outfile_prefix=prefix, format_only=True, use_ambiguous=False)
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, _samples(gt, preds, {'a': [[0.0, 1.0]]}))
    assert metric.compute_metrics(metric.results) == {}
    assert load_activitynet_results(f'{prefix}.results.json')['b']['labels'] == ['Shotput']
    assert not (tmp_path / 'only.ambiguous.json').exists()  # not written when the metric does not filter
    with pytest.raises(ValueError, match='outfile_prefix'):
        TemporalDetectionMAP(format_only=True)
    with pytest.raises(ValueError, match='f1_iou'):
        TemporalDetectionMAP(f1_iou=1.5)


def test_gt_json_round_trip_keeps_class_order_and_empty_videos(tmp_path):
    gt, _ = _gt_preds()
    path = str(tmp_path / 'gt.json')
    dump_activitynet_gt(gt, path, ['Zeta', 'Alpha'], subset='validation', durations={'a': 9.5})
    back, order = load_activitynet_gt(path, subset='validation')
    assert order == ['Zeta', 'Alpha'] and set(back) == {'a', 'b', 'c'}
    assert back['b']['labels'] == ['Alpha'] and back['c']['segments'].shape == (0, 2)
    with open(path) as f:
        data = json.load(f)
    assert data['database']['a']['duration'] == 9.5 and 'duration' not in data['database']['b']
