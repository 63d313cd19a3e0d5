"""CorLoc on a hand-made case: top-scoring box per class, strict IoU > 0.5, difficult boxes, legacy +1 area."""
import numpy as np
import pytest
import torch

from wsl.detection.metrics import CorLocMetric, corloc_per_class


def _sample(gt, gt_labels, pred, scores, pred_labels, ign=(), ign_labels=()):
    t = lambda a, n=4: torch.tensor(a, dtype=torch.float32).reshape(-1, n)  # noqa: E731
    return dict(gt_instances=dict(bboxes=t(gt), labels=torch.tensor(gt_labels, dtype=torch.long)),
                ignored_instances=dict(bboxes=t(ign), labels=torch.tensor(ign_labels, dtype=torch.long)),
                pred_instances=dict(bboxes=t(pred), scores=torch.tensor(scores), labels=torch.tensor(pred_labels)))


SAMPLES = [
    # 1: class a positive, its top-scoring 'a' box hits.
    _sample([[0, 0, 10, 10]], [0], [[0, 0, 10, 10], [20, 20, 30, 30]], [0.9, 0.5], [0, 0]),
    # 2: a and b positive; the TOP 'a' box misses (a lower one would hit); no 'b' detection -> failure.
    _sample([[0, 0, 10, 10], [20, 20, 40, 40]], [0, 1], [[30, 30, 40, 40], [0, 0, 10, 10]], [0.95, 0.3], [0, 0]),
    # 3: b positive (one non-difficult b); the top 'b' box matches the DIFFICULT b -> success.
    _sample([[50, 50, 60, 60]], [1], [[0, 0, 10, 10]], [0.8], [1], ign=[[0, 0, 10, 10]], ign_labels=[1]),
    # 4: only a difficult 'a' -> not a positive image for a; its detection is ignored.
    _sample([], [], [[0, 0, 5, 5]], [0.9], [0], ign=[[0, 0, 10, 10]], ign_labels=[0]),
    # 5: b positive, IoU (legacy) = 100 / 121 -> success.
    _sample([[0, 0, 10, 10]], [1], [[1, 1, 10, 10]], [0.7], [1]),
    # 6: a positive, IoU (legacy) = 100 / 200 = 0.5 exactly -> NOT a success (strict >).
    _sample([[0, 0, 9, 9]], [0], [[0, 0, 9, 19]], [0.6], [0]),
]


def test_corloc_metric_on_hand_made_case():
    metric = CorLocMetric()
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    metric.process({}, SAMPLES)
    res = metric.evaluate(len(SAMPLES))
    assert res['corloc/CorLoc_a'] == pytest.approx(1 / 3)  # images 1, 2, 6 positive; hit on 1
    assert res['corloc/CorLoc_b'] == pytest.approx(2 / 3)  # images 2, 3, 5 positive; hits on 3, 5
    assert np.isnan(res['corloc/CorLoc_c'])  # no positive image: left out of the mean
    assert res['corloc/mCorLoc'] == pytest.approx(0.5)


def test_corloc_threshold_and_coordinate_convention():
    recs = [dict(gt_bboxes=np.array([[0, 0, 9, 9.]]), gt_labels=np.array([0]), ignore_bboxes=np.zeros((0, 4)),
                 ignore_labels=np.zeros(0, int), pred_bboxes=np.array([[0, 0, 9, 19.]]), pred_scores=np.array([1.]),
                 pred_labels=np.array([0]))]
    # Legacy IoU 0.5 exactly fails at 0.5 and succeeds at 0.49; without +1 the IoU is 81/171 < 0.5.
    assert corloc_per_class(recs, 1, iou_thr=0.5)[0][0] == 0.0
    assert corloc_per_class(recs, 1, iou_thr=0.49)[0][0] == 1.0
    assert corloc_per_class(recs, 1, iou_thr=0.47, use_legacy_coordinate=False)[0][0] == 1.0
    assert corloc_per_class(recs, 1, iou_thr=0.48, use_legacy_coordinate=False)[0][0] == 0.0
