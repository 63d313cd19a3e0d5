"""Jittered proposals (±30 % of w/h, clipped, seeded) and positive selection (argmax incl. background, IoU on
int-truncated coordinates, tau cascade 0.9 -> 0.85 -> 0.8 with a cap of 100)."""
import pytest
import torch

from wsl.segmentation.bbam.jitter import BBAMProposalSampler, jitter_boxes, select_positives, truncated_box_iou


def test_jitter_bounds_and_clipping():
    gt = torch.tensor([[20.0, 30.0, 120.0, 80.0], [0.0, 0.0, 40.0, 200.0]])
    g = torch.Generator().manual_seed(0)
    boxes = jitter_boxes(gt, (200, 150), num_jitters=1000, ratio=0.3, generator=g)
    assert boxes.shape == (2, 1000, 4) and boxes.dtype == gt.dtype
    w = gt[:, 2] - gt[:, 0]
    h = gt[:, 3] - gt[:, 1]
    lim = torch.stack([w, h, w, h], 1)[:, None] * 0.3 + 1e-4
    off = boxes - gt[:, None]
    unclipped = (boxes[..., 0] > 0) & (boxes[..., 2] < 150) & (boxes[..., 1] > 0) & (boxes[..., 3] < 200)
    assert (off.abs() <= lim).all()  # every coordinate within ±30 % of the box width (x) / height (y)
    assert (boxes[..., 0::2] >= 0).all() and (boxes[..., 0::2] <= 150).all()
    assert (boxes[..., 1::2] >= 0).all() and (boxes[..., 1::2] <= 200).all()
    assert (boxes[..., 2] > boxes[..., 0]).all() and (boxes[..., 3] > boxes[..., 1]).all()
    # the offsets use the whole range (not only shrinking) where nothing is clipped
    o = off[0][unclipped[0]] / lim[0, 0]
    assert o.min() < -0.95 and o.max() > 0.95
    # box 1 touches the left/top border: its x1/y1 are clipped at 0 in about half the draws
    assert (boxes[1, :, 0] == 0).float().mean() > 0.4
    # seeded: same generator seed, same proposals; another seed, others
    again = jitter_boxes(gt, (200, 150), 1000, 0.3, torch.Generator().manual_seed(0))
    other = jitter_boxes(gt, (200, 150), 1000, 0.3, torch.Generator().manual_seed(1))
    assert torch.equal(boxes, again) and not torch.equal(boxes, other)


def test_truncated_iou_matches_the_code():
    gt = torch.tensor([0.9, 0.9, 10.9, 10.9])  # -> (0, 0, 10, 10)
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [5.0, 0.0, 15.0, 10.0], [10.0, 10.0, 20.0, 20.0],
                          [20.0, 20.0, 30.0, 30.0], [2.7, 2.2, 8.99, 8.5]])
    iou = truncated_box_iou(gt, boxes)
    assert iou.tolist() == pytest.approx([1.0, 50 / 150, 0.0, 0.0, 36 / 100])


def _logits(winners, num_classes=3):
    s = torch.zeros(len(winners), num_classes + 1)
    s[torch.arange(len(winners)), torch.tensor(winners)] = 5.0
    return s


def test_selection_needs_the_gt_class_as_argmax_including_background():
    gt = torch.tensor([0.0, 0.0, 100.0, 100.0])
    pred = gt.repeat(4, 1)  # perfect boxes
    # proposal 0: class 1 (GT), 1: background (index 3, mmdet puts it last), 2: class 0, 3: class 1 but background
    # logit larger
    scores = _logits([1, 3, 0, 1])
    scores[3, 3] = 6.0
    assert select_positives(scores, pred, gt, 1).tolist() == [0]


def test_cascade_prefers_the_strictest_threshold_with_more_than_cap():
    gt = torch.tensor([0.0, 0.0, 100.0, 100.0])
    # 150 boxes with IoU 0.95, 50 with IoU 0.87, 20 with IoU 0.82, 30 with IoU 0.5 (boxes shrunk from the right)
    ious = [0.95] * 150 + [0.87] * 50 + [0.82] * 20 + [0.5] * 30
    pred = torch.stack([torch.tensor([0.0, 0.0, 100.0 * v, 100.0]) for v in ious])
    scores = _logits([2] * len(ious))
    # tau = 0.9 already gives > 100: the first 100 by index, stop
    assert select_positives(scores, pred, gt, 2).tolist() == list(range(100))
    # with only 60 at IoU 0.95: 0.9 -> 60 (<= 100), 0.85 -> 110 > 100 -> the first 100 of those 110
    ious2 = [0.95] * 60 + [0.87] * 50 + [0.82] * 20
    pred2 = torch.stack([torch.tensor([0.0, 0.0, 100.0 * v, 100.0]) for v in ious2])
    assert select_positives(_logits([2] * 130), pred2, gt, 2).tolist() == list(range(100))
    # nothing exceeds the cap: the set at the last threshold (0.8), all of them
    ious3 = [0.95] * 30 + [0.87] * 20 + [0.82] * 10 + [0.5] * 5
    pred3 = torch.stack([torch.tensor([0.0, 0.0, 100.0 * v, 100.0]) for v in ious3])
    assert select_positives(_logits([2] * 65), pred3, gt, 2).tolist() == list(range(60))
    # the cap is a parameter; so is the cascade
    assert select_positives(_logits([2] * 65), pred3, gt, 2, max_positives=10).tolist() == list(range(10))
    assert select_positives(_logits([2] * 65), pred3, gt, 2, iou_thresholds=(0.9,)).tolist() == list(range(30))


def test_no_positive_gives_an_empty_set():
    gt = torch.tensor([0.0, 0.0, 100.0, 100.0])
    pred = torch.tensor([[0.0, 0.0, 50.0, 100.0]] * 5)  # IoU 0.5
    assert select_positives(_logits([0] * 5), pred, gt, 0).numel() == 0


def test_sampler_validates_its_config():
    s = BBAMProposalSampler(num_jitters=10, jitter_ratio=0.3, iou_thresholds=[0.9, 0.8], max_positives=5)
    assert s.iou_thresholds == (0.9, 0.8)
    assert s.jitter(torch.tensor([[0.0, 0.0, 10.0, 10.0]]), (20, 20)).shape == (1, 10, 4)
    with pytest.raises(ValueError, match='iou_thresholds'):
        BBAMProposalSampler(iou_thresholds=())
    with pytest.raises(ValueError, match='num_jitters'):
        BBAMProposalSampler(num_jitters=0)
