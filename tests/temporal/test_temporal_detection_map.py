"""Evaluator: both protocols on hand-made ground truth and predictions with known AP."""
import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement, InstanceData

from wsl.registry import METRICS
from wsl.temporal.metrics import IOU_SETS, evaluate_detection, interpolated_ap, segment_iou, summarize

SEC = 0.64  # seconds per snippet: segments below are written in snippets and given in seconds


def seconds(x):
    return np.asarray(x, dtype=np.float64) * SEC


def _case():
    gt = {
        'a': dict(segments=seconds([[0, 10], [4, 14]]), labels=[0, 0]),
        'b': dict(segments=seconds([[0, 10]]), labels=[1]),
        'c': dict(segments=np.zeros((0, 2)), labels=[]),  # evaluated video without GT
    }
    preds = {
        # p0 [4,14): IoU .4286 with g0 [0,10), 1.0 with g1; p1 [0,8): IoU .8 with g0, .2857 with g1
        'a': dict(segments=seconds([[4, 14], [0, 8]]), labels=[0, 0], scores=[0.9, 0.8]),
        'b': dict(segments=seconds([[0, 10]]), labels=[1], scores=[0.6]),
        'c': dict(segments=seconds([[0, 10]]), labels=[1], scores=[0.95]),
    }
    return gt, preds


def test_interpolated_ap_hand():
    # TP, FP, TP with 2 GT: precision 1, 1/2, 2/3; recall 1/2, 1/2, 1 → 0.5·1 + 0.5·2/3
    assert interpolated_ap([1, 0.5, 2 / 3], [0.5, 0.5, 1.0]) == pytest.approx(0.5 + 1 / 3)
    assert interpolated_ap([0.0], [0.0]) == 0.0
    np.testing.assert_allclose(segment_iou(np.array([2.0, 6.0]), np.array([[0.0, 4.0], [6.0, 8.0], [3, 5]])),
                               [2 / 6, 0.0, 0.5])


def test_legacy_first_fit_vs_activitynet_best_iou():
    gt, preds = _case()
    leg = evaluate_detection(gt, preds, [0.4, 0.5], 'legacy')
    anet = evaluate_detection(gt, preds, [0.4, 0.5], 'activitynet')
    # class 0 at 0.4 — legacy: p0 takes g0 first (IoU .43), p1 then misses → AP .5;
    #                  activitynet: p0 takes g1 (IoU 1), p1 takes g0 → AP 1.
    # class 1 — legacy ignores video c (no GT at all) → AP 1; activitynet: c's prediction is a
    #           top-scored FP → precision 0 then 1/2 at recall 1 → AP .5
    np.testing.assert_allclose(leg['ap'], [[0.5, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(anet['ap'], [[1.0, 0.5], [1.0, 0.5]])
    np.testing.assert_allclose(leg['mAP'], [75.0, 100.0])
    np.testing.assert_allclose(anet['mAP'], [75.0, 75.0])
    assert leg['num_pred'] == 3 and anet['num_pred'] == 4 and leg['classes'] == [0, 1]


def test_legacy_rounds_seconds_to_snippets():
    # GT [0.3 s, 6.4 s] → snippets [round(0.47)=0, 10]; a prediction [0, 10] snippets matches at IoU 1
    gt = {'v': dict(segments=[[0.3, 6.4]], labels=[0])}
    preds = {'v': dict(segments=seconds([[0, 10]]), labels=[0], scores=[1.0])}
    assert evaluate_detection(gt, preds, [0.99], 'legacy')['mAP'][0] == pytest.approx(100.0)
    assert evaluate_detection(gt, preds, [0.99], 'activitynet')['mAP'][0] == 0.0  # IoU 6.1/6.4 in seconds


def test_ambiguous_filtering_any_class():
    gt, preds = _case()
    amb = {'b': [[5 * SEC, 6 * SEC]]}  # overlaps b's only prediction (class 1)
    leg = evaluate_detection(gt, preds, [0.5], 'legacy', ambiguous=amb)
    anet = evaluate_detection(gt, preds, [0.5], 'activitynet', ambiguous=amb)
    np.testing.assert_allclose(leg['ap'], [[1.0, 0.0]])
    np.testing.assert_allclose(anet['ap'], [[1.0, 0.0]])
    # touching but not overlapping segments are kept
    touch = evaluate_detection(gt, preds, [0.5], 'activitynet', ambiguous={'b': [[10 * SEC, 12 * SEC]]})
    np.testing.assert_allclose(touch['ap'], [[1.0, 0.5]])


def test_zero_later_classes_bug_only_behind_flag():
    gt = {'v': dict(segments=seconds([[0, 10], [20, 30], [40, 50]]), labels=[0, 1, 2])}
    preds = {'v': dict(segments=seconds([[20, 30], [40, 50]]), labels=[1, 2], scores=[0.9, 0.8])}
    fixed = evaluate_detection(gt, preds, [0.5], 'legacy')
    buggy = evaluate_detection(gt, preds, [0.5], 'legacy', zero_later_classes_bug=True)
    np.testing.assert_allclose(fixed['ap'], [[0.0, 1.0, 1.0]])
    np.testing.assert_allclose(buggy['ap'], [[0.0, 0.0, 0.0]])
    # class order matters for the bug: an empty last class harms nobody
    later = evaluate_detection(gt, preds, [0.5], 'legacy', classes=[1, 2, 0], zero_later_classes_bug=True)
    np.testing.assert_allclose(later['ap'], [[1.0, 1.0, 0.0]])


def test_duplicate_detection_is_fp_and_ranking_matters():
    gt = {'v': dict(segments=seconds([[0, 10], [20, 30]]), labels=[0, 0])}
    preds = {'v': dict(segments=seconds([[0, 10], [0, 10], [20, 30]]), labels=[0, 0, 0], scores=[0.9, 0.8, 0.7])}
    for protocol in ('legacy', 'activitynet'):
        res = evaluate_detection(gt, preds, [0.5], protocol)
        # TP, FP (GT already matched), TP → 0.5·1 + 0.5·2/3
        assert res['ap'][0, 0] == pytest.approx(0.5 + 1 / 3)


def test_summarize_iou_sets():
    assert IOU_SETS['0.1:0.5'] == (0.1, 0.2, 0.3, 0.4, 0.5) and len(IOU_SETS['0.5:0.95']) == 10
    res = dict(iou_thresholds=IOU_SETS['0.1:0.7'], mAP=np.arange(7, dtype=float))
    out = summarize(res)
    assert out['mAP@0.30'] == 2.0 and out['avg'] == 3.0
    assert out['avg@0.1:0.5'] == 2.0 and out['avg@0.1:0.7'] == 3.0 and 'avg@0.5:0.95' not in out


def test_metric_class_on_data_samples():
    gt, preds = _case()
    metric = METRICS.build(dict(type='TemporalDetectionMAP', protocol='legacy', iou_thresholds=[0.4, 0.5]))
    samples = []
    for v in ('a', 'b', 'c'):
        ds = BaseDataElement(metainfo=dict(video_name=v, ambiguous_segments=np.zeros((0, 2))))
        ds.gt_instances = InstanceData(segments=torch.tensor(gt[v]['segments']).reshape(-1, 2),
                                       labels=torch.tensor(gt[v]['labels'], dtype=torch.long))
        ds.pred_instances = InstanceData(segments=torch.tensor(preds[v]['segments']),
                                         scores=torch.tensor(preds[v]['scores']),
                                         labels=torch.tensor(preds[v]['labels']))
        samples.append(ds.to_dict())
    metric.process({}, samples)
    out = metric.compute_metrics(metric.results)
    assert out['mAP@0.40'] == pytest.approx(75.0) and out['mAP@0.50'] == pytest.approx(100.0)
    with pytest.raises(ValueError, match='protocol'):
        METRICS.build(dict(type='TemporalDetectionMAP', protocol='thumos'))
