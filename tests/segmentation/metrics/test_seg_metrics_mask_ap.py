"""COCO mask AP with AP25/AP70 read from eval['precision'], ABO, and the registered instance metric."""
import json

import numpy as np
import pytest
import torch

from wsl.registry import METRICS
from wsl.segmentation.metrics import average_best_overlap, best_overlaps, coco_mask_ap, make_coco
from wsl.segmentation.pseudo_masks import encode_rle

H = W = 40


def _sq(y, x, h=10, w=10):
    m = np.zeros((H, W), bool)
    m[y:y + h, x:x + w] = True
    return m


G0, G1 = _sq(0, 0), _sq(20, 20)
PART = G1.copy()
PART[26:, 20:] = False          # rows 20..25 of G1 (60 px) ...
PART[26, 20:22] = True          # ... + 2 px: 62 px inside G1 -> IoU 0.62


def _gt():
    anns = [dict(id=k + 1, image_id=1, category_id=1, segmentation=encode_rle(m), area=float(m.sum()), iscrowd=0,
                 bbox=[float(x), float(y), 10.0, 10.0]) for k, (m, x, y) in enumerate([(G0, 0, 0), (G1, 20, 20)])]
    return make_coco([dict(id=1, height=H, width=W)], anns, [dict(id=1, name='a'), dict(id=2, name='b')])


def _det(m, score, cat=1):
    return dict(image_id=1, category_id=cat, segmentation=encode_rle(m), score=score)


def test_perfect_predictions_score_one():
    r = coco_mask_ap(_gt(), [_det(G0, 0.9), _det(G1, 0.8)])
    for k in ('AP', 'AP25', 'AP50', 'AP70', 'AP75'):
        assert r[k] == pytest.approx(1.0), k


def test_partial_case_by_hand():
    assert (PART & G1).sum() / (PART | G1).sum() == pytest.approx(0.62)
    r = coco_mask_ap(_gt(), [_det(G0, 0.9), _det(PART, 0.8)])
    # IoU 0.62 matches at 0.25 and 0.5..0.6; above, recall stops at 0.5 with precision 1: 51 of 101 points
    assert r['AP25'] == pytest.approx(1.0) and r['AP50'] == pytest.approx(1.0)
    assert r['AP70'] == pytest.approx(51 / 101) and r['AP75'] == pytest.approx(51 / 101)
    assert r['AP'] == pytest.approx((3 * 1.0 + 7 * 51 / 101) / 10)
    # the weak mask ranked first: the interpolated precision up to recall 0.5 is 1/2
    r = coco_mask_ap(_gt(), [_det(G0, 0.7), _det(PART, 0.8)])
    assert r['AP70'] == pytest.approx(0.5 * 51 / 101) and r['AP50'] == pytest.approx(1.0)
    # AP25 is the only threshold a 30 %-overlap mask passes
    weak = G1.copy()
    weak[23:, 20:] = False                          # 30 px in G1 -> IoU 0.3
    r = coco_mask_ap(_gt(), [_det(G0, 0.9), _det(weak, 0.8)])
    assert r['AP25'] == pytest.approx(1.0) and r['AP50'] == pytest.approx(51 / 101)


def test_stock_ap_agrees_with_cocoeval_stats():
    import contextlib
    import io

    from pycocotools.cocoeval import COCOeval
    gt = _gt()
    dets = [_det(G0, 0.7), _det(PART, 0.8), _det(_sq(5, 5), 0.95)]
    ours = coco_mask_ap(gt, dets)
    with contextlib.redirect_stdout(io.StringIO()):
        ev = COCOeval(gt, gt.loadRes([dict(d, segmentation=dict(d['segmentation'],
                                                                counts=d['segmentation']['counts'].encode()))
                                      for d in dets]), 'segm')
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    assert ours['AP'] == pytest.approx(ev.stats[0]) and ours['AP50'] == pytest.approx(ev.stats[1])
    assert ours['AP75'] == pytest.approx(ev.stats[2])


def test_no_detections():
    assert coco_mask_ap(_gt(), [])['AP50'] == 0.0


def test_abo_by_hand():
    g2 = _sq(0, 30, 10, 10)
    half = G1.copy()
    half[25:] = False                                 # 50 px of G1 -> IoU 0.5
    big = _sq(15, 15, 20, 20)                         # contains G1: IoU 100 / 400
    assert best_overlaps(np.stack([G0, G1, g2]), np.stack([G0, half, big])).tolist() == [1.0, 0.5, 0.0]
    imgs = [dict(gt_masks=np.stack([G0, G1, g2]), gt_labels=[0, 1, 1], pred_masks=np.stack([G0, half, big]),
                 pred_scores=[0.3, 0.9, 0.9])]
    r = average_best_overlap(imgs)
    assert r['ABO'] == pytest.approx(0.5) and r['num_gt'] == 3
    assert r['MABO'] == pytest.approx((1.0 + 0.25) / 2)  # class 0: 1.0; class 1: (0.5 + 0) / 2
    r = average_best_overlap(imgs, score_thr=0.5)       # G0's only match is dropped
    assert r['ABO'] == pytest.approx(0.5 / 3)
    # an image without predictions contributes zeros
    r = average_best_overlap(imgs + [dict(gt_masks=np.stack([G0]), gt_labels=[0], pred_masks=np.zeros((0, H, W)))])
    assert r['ABO'] == pytest.approx(1.5 / 4)


def _sample(img_id, with_gt=True):
    s = dict(img_id=img_id, ori_shape=(H, W),
             pred_instances=dict(masks=torch.from_numpy(np.stack([G0, PART])), scores=torch.tensor([0.9, 0.8]),
                                 labels=torch.tensor([0, 0])))
    if with_gt:
        s['instances'] = [dict(mask=encode_rle(G0), bbox_label=0, ignore_flag=0),
                          dict(mask=[[20.0, 20.0, 30.0, 20.0, 30.0, 30.0, 20.0, 30.0]], bbox_label=0, ignore_flag=0)]
    return s


def test_registered_instance_metric_from_samples():
    metric = METRICS.build(dict(type='InstanceMaskAPMetric'))
    metric.dataset_meta = dict(classes=('a', 'b'))
    metric.process({}, [_sample('x')])
    r = metric.evaluate(1)
    assert r['mask/AP50'] == pytest.approx(1.0) and r['mask/AP25'] == pytest.approx(1.0)
    assert 0.4 < r['mask/AP70'] < 0.6       # the polygon G1 (rasterised) vs the 62 % mask
    assert 0.75 < r['mask/ABO'] < 0.85      # (1 + ~0.6) / 2


def test_registered_instance_metric_with_ann_file(tmp_path):
    gt = _gt().dataset
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(dict(gt, categories=[dict(id=7, name='b'), dict(id=1, name='a')])))
    metric = METRICS.build(dict(type='InstanceMaskAPMetric', ann_file=str(path)))
    metric.dataset_meta = dict(classes=('a', 'b'))
    metric.process({}, [_sample(1, with_gt=False)])
    r = metric.evaluate(1)
    assert r['mask/AP70'] == pytest.approx(51 / 101) and r['mask/AP'] == pytest.approx((3 + 7 * 51 / 101) / 10)
    assert r['mask/ABO'] == pytest.approx((1 + 0.62) / 2)
