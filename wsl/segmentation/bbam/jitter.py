"""Proposal jittering and positive selection (paper §3.3, "Creating masks"; official code details).

For each GT box, ``num_jitters`` (1000) proposals move every coordinate independently by u·w (x) or u·h (y),
u ~ U(−0.3, 0.3), clipped to the image. One clean forward scores them; proposal i is positive when the argmax
over all logits, background included, is the GT class and the IoU between the GT box and the box decoded with
that class's deltas exceeds τ (IoU on ``int()``-truncated coordinates). τ runs through the cascade
0.9 → 0.85 → 0.8: the first τ with more than ``max_positives`` (100) positives keeps the first 100 by index
and stops; otherwise the set at the last τ is used (at most 100, possibly empty).
"""
from typing import Optional, Sequence

import torch
from torch import Tensor

from wsl.registry import TASK_UTILS


def jitter_boxes(gt_boxes: Tensor, img_shape: Sequence[int], num_jitters: int = 1000, ratio: float = 0.3,
                 generator: Optional[torch.Generator] = None) -> Tensor:
    """Random proposals around each GT box.

    Args:
        gt_boxes (Tensor): (N, 4) boxes (x1, y1, x2, y2) in network-input pixels.
        img_shape (Sequence[int]): (H, W) of the un-padded network input; proposals are clipped to [0, W]×[0, H].
        num_jitters (int): proposals per box (1000).
        ratio (float): the largest offset as a fraction of the box width (x) / height (y) (0.3).
        generator (torch.Generator | None): CPU generator; the draws are made on the CPU so that a seed gives
            the same proposals on every device.

    Returns:
        Tensor: (N, num_jitters, 4) proposals on ``gt_boxes``' device and dtype.
    """
    n = gt_boxes.size(0)
    u = (torch.rand(n, num_jitters, 4, generator=generator, dtype=torch.float64) * 2.0 - 1.0) * ratio
    gt = gt_boxes.detach().cpu().double()
    wh = torch.stack([gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]], 1).repeat(1, 2)  # (N, 4): w, h, w, h
    boxes = gt[:, None, :] + u * wh[:, None, :]
    h, w = float(img_shape[0]), float(img_shape[1])
    boxes[..., 0::2] = boxes[..., 0::2].clamp(0.0, w)
    boxes[..., 1::2] = boxes[..., 1::2].clamp(0.0, h)
    return boxes.to(device=gt_boxes.device, dtype=gt_boxes.dtype)


def truncated_box_iou(box: Tensor, boxes: Tensor) -> Tensor:
    """IoU of one box with many, on ``int()``-truncated coordinates (the code's ``get_single_iou``).

    Args:
        box (Tensor): (4,) reference box (x1, y1, x2, y2).
        boxes (Tensor): (M, 4) boxes.

    Returns:
        Tensor: (M,) float64 IoU; 0 where the boxes do not overlap or both areas are 0.
    """
    a = torch.trunc(box.detach().double())
    b = torch.trunc(boxes.detach().double())
    x_left, y_top = torch.maximum(a[0], b[:, 0]), torch.maximum(a[1], b[:, 1])
    x_right, y_bottom = torch.minimum(a[2], b[:, 2]), torch.minimum(a[3], b[:, 3])
    overlap = (x_right >= x_left) & (y_bottom >= y_top)
    inter = torch.where(overlap, (x_right - x_left) * (y_bottom - y_top), torch.zeros_like(x_left))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    return torch.where(union > 0, inter / union.clamp_min(1e-12), torch.zeros_like(inter))


def select_positives(cls_score: Tensor, pred_boxes: Tensor, gt_box: Tensor, gt_label: int,
                     iou_thresholds: Sequence[float] = (0.9, 0.85, 0.8), max_positives: int = 100) -> Tensor:
    """Indices of the positive proposals of one GT object (τ cascade with a cap).

    Args:
        cls_score (Tensor): (M, C + 1) clean logits of the jittered proposals; mmdet puts background LAST.
        pred_boxes (Tensor): (M, 4) each proposal's box decoded with the deltas of its argmax class (rows whose
            argmax is background are never positive, their value is unused).
        gt_box (Tensor): (4,) GT box in network-input pixels.
        gt_label (int): GT class index in [0, C).
        iou_thresholds (Sequence[float]): the τ cascade, strictest first (0.9, 0.85, 0.8).
        max_positives (int): the cap (100).

    Returns:
        Tensor: (P,) int64 indices in ascending order, P <= ``max_positives`` (possibly 0).
    """
    correct = cls_score.argmax(dim=-1) == int(gt_label)
    iou = truncated_box_iou(gt_box, pred_boxes).to(correct.device)
    idx = torch.zeros(0, dtype=torch.long, device=cls_score.device)
    for thr in iou_thresholds:
        idx = torch.nonzero(correct & (iou > thr), as_tuple=False).flatten()
        if idx.numel() > max_positives:
            return idx[:max_positives]
    return idx


@TASK_UTILS.register_module()
class BBAMProposalSampler:
    """Jittered proposals and the positive set O⁺ of each GT object.

    Args:
        num_jitters (int): proposals per GT box (1000; the paper gives no number).
        jitter_ratio (float): ±ratio of the box width/height per coordinate (0.3, paper "±30 %").
        iou_thresholds (Sequence[float]): τ cascade, strictest first ((0.9, 0.85, 0.8); the paper says IoU > 0.8).
        max_positives (int): cap on |O⁺| (100).
    """

    def __init__(self, num_jitters: int = 1000, jitter_ratio: float = 0.3,
                 iou_thresholds: Sequence[float] = (0.9, 0.85, 0.8), max_positives: int = 100) -> None:
        if int(num_jitters) < 1:
            raise ValueError(f'BBAMProposalSampler: num_jitters must be >= 1, got {num_jitters}')
        if not 0.0 <= jitter_ratio < 1.0:
            raise ValueError(f'BBAMProposalSampler: jitter_ratio must be in [0, 1), got {jitter_ratio}')
        thrs = tuple(float(t) for t in iou_thresholds)
        if not thrs or any(not 0.0 <= t < 1.0 for t in thrs):
            raise ValueError(f'BBAMProposalSampler: iou_thresholds must be a non-empty list of values in [0, 1), '
                             f'got {iou_thresholds}')
        if int(max_positives) < 1:
            raise ValueError(f'BBAMProposalSampler: max_positives must be >= 1, got {max_positives}')
        self.num_jitters = int(num_jitters)
        self.jitter_ratio = float(jitter_ratio)
        self.iou_thresholds = thrs
        self.max_positives = int(max_positives)

    def jitter(self, gt_boxes: Tensor, img_shape: Sequence[int], generator: Optional[torch.Generator] = None) -> Tensor:
        """(N, num_jitters, 4) proposals; see :func:`jitter_boxes`."""
        return jitter_boxes(gt_boxes, img_shape, self.num_jitters, self.jitter_ratio, generator)

    def select(self, cls_score: Tensor, pred_boxes: Tensor, gt_box: Tensor, gt_label: int) -> Tensor:
        """Positive indices; see :func:`select_positives`."""
        return select_positives(cls_score, pred_boxes, gt_box, gt_label, self.iou_thresholds, self.max_positives)
