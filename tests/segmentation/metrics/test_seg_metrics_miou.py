"""Semantic mIoU: confusion matrix on a hand-made case and the registered metric."""
import numpy as np
import pytest
import torch

from wsl.registry import METRICS
from wsl.segmentation.metrics import SemSegIoUMetric, confusion_matrix, iou_from_confusion, semantic_miou

GT = np.array([[0, 0, 1, 1],
               [0, 0, 1, 255],
               [2, 2, 2, 2]])
PRED = np.array([[0, 1, 1, 1],
                 [0, 0, 255, 1],
                 [2, 2, 0, 2]])


def test_confusion_and_iou_by_hand():
    cm = confusion_matrix(PRED, GT, 3)
    # rows = GT, columns = prediction; (1, 2) is skipped (void prediction), (1, 3) too (void GT)
    assert cm.tolist() == [[3, 1, 0], [0, 2, 0], [1, 0, 3]]
    iou = iou_from_confusion(cm)
    np.testing.assert_allclose(iou, [3 / 5, 2 / 3, 3 / 4])
    r = semantic_miou([PRED], [GT], 3)
    assert r['mIoU'] == pytest.approx((3 / 5 + 2 / 3 + 3 / 4) / 3)
    assert r['ignored_fraction'] == pytest.approx(1 / 11)
    assert r['aAcc'] == pytest.approx(8 / 10)
    # void predictions counted as background instead
    r0 = semantic_miou([PRED], [GT], 3, pred_ignore_as=0)
    np.testing.assert_allclose(r0['IoU'], [3 / 6, 2 / 4, 3 / 4])
    assert r0['ignored_fraction'] == 0


def test_absent_classes_and_errors():
    iou = iou_from_confusion(confusion_matrix(np.zeros((2, 2)), np.zeros((2, 2)), 3))
    assert iou[0] == 1 and np.isnan(iou[1:]).all()
    assert semantic_miou([np.zeros((2, 2))], [np.zeros((2, 2))], 3)['mIoU'] == 1.0
    with pytest.raises(ValueError, match='ground truth holds labels'):
        confusion_matrix(np.zeros((2, 2)), np.full((2, 2), 7), 3)
    with pytest.raises(ValueError, match='differ in shape'):
        confusion_matrix(np.zeros((2, 2)), np.zeros((2, 3)), 3)


def test_registered_metric_accumulates_over_samples():
    metric = METRICS.build(dict(type='SemSegIoUMetric'))
    assert isinstance(metric, SemSegIoUMetric)
    metric.dataset_meta = dict(classes=('cat', 'dog'))
    samples = [dict(pred_sem_seg=dict(sem_seg=torch.from_numpy(PRED)[None]),
                    gt_sem_seg=dict(sem_seg=torch.from_numpy(GT)[None])),
               dict(pred_sem_seg=dict(sem_seg=torch.zeros(1, 2, 2, dtype=torch.long)),
                    gt_sem_seg=dict(sem_seg=torch.zeros(1, 2, 2, dtype=torch.long)))]
    metric.process({}, samples)
    res = metric.evaluate(len(samples))
    # the second image adds 4 true background pixels: IoU_bg = 7 / 9
    assert res['semseg/IoU_background'] == pytest.approx(7 / 9)
    assert res['semseg/IoU_cat'] == pytest.approx(2 / 3) and res['semseg/IoU_dog'] == pytest.approx(3 / 4)
    assert res['semseg/mIoU'] == pytest.approx((7 / 9 + 2 / 3 + 3 / 4) / 3)
