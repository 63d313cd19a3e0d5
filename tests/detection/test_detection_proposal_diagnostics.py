"""proposal_diagnostics on a hand-made case (a detector stand-in with fixed proposals and class logits)."""
import math
from types import SimpleNamespace

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from wsl.detection.proposal_diagnostics import proposal_diagnostics


class _FixedDetector(torch.nn.Module):
    """Returns the given proposals (boxes, objectness logits) and class logits (C + 1 columns) for one image."""

    def __init__(self, boxes, obj, cls):
        super().__init__()
        self.boxes, self.obj, self.cls = boxes, obj, cls
        self.data_preprocessor = lambda batch, training: batch
        self.train_cfg = SimpleNamespace(rpn_proposal=None)
        self.rpn_head = SimpleNamespace(predict_with_logits=lambda x, metas, cfg: [
            InstanceData(bboxes=self.boxes, obj_logits=self.obj)])
        self.roi_head = SimpleNamespace(bbox_head=SimpleNamespace(num_classes=cls.shape[1] - 1),
                                        _bbox_forward=lambda x, rois: {'cls_score': self.cls})

    def extract_feat(self, inputs):
        return (inputs, )


def test_proposal_diagnostics_hand_case():
    # GT: box A (class 0), box B (class 1); proposals: p0 = A exactly (argmax 0, right), p1 ~ B (IoU 100/110, argmax 2,
    # wrong), p2 background (argmax 1).
    boxes = torch.tensor([[0., 0., 10., 10.], [20., 20., 30., 31.], [50., 50., 60., 60.]])
    obj = torch.tensor([2.0, 1.0, -1.0])
    cls = torch.tensor([[3., 0., 0., 0.], [0., 0., 3., 0.], [0., 3., 0., 0.]])  # last column: background
    sample = DetDataSample(metainfo=dict(scale_factor=(2.0, 2.0)))
    # gt in original pixels: half the input coordinates (scale_factor 2)
    sample.gt_instances = InstanceData(bboxes=torch.tensor([[0., 0., 5., 5.], [10., 10., 15., 15.]]),
                                       labels=torch.tensor([0, 1]))
    model = _FixedDetector(boxes, obj, cls)
    batch = dict(inputs=torch.zeros(1, 3, 64, 64), data_samples=[sample])
    st = proposal_diagnostics(model, [batch], iou_thr=0.5, top_k=1)
    assert st['num_images'] == 1 and st['num_boxes'] == 2
    assert st['recall'] == 1.0
    assert st['recall_top1'] == 0.5  # the top-objectness proposal covers A only
    assert st['cls_acc'] == 0.5  # A's best proposal says class 0 (right), B's says class 2 (wrong)
    assert st['obj_pos'] == pytest.approx(1.5) and st['obj_neg'] == pytest.approx(-1.0)
    # labels {0, 1}: IIR raises p0 (positive class 0) and p2 (assigned to positive class 1) and lowers p1 (assigned
    # to the absent class 2): half the positives, all the negatives are raised.
    assert st['iir_raises_pos'] == 0.5 and st['iir_raises_neg'] == 1.0
    assert math.isnan(proposal_diagnostics(model, [], top_k=1)['cls_acc'])
