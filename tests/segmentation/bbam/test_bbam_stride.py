"""Adaptive stride s(a) = 16 + 48 sqrt(a), mask shapes, align_corners=True upsampling and the initial mask."""
import math

import pytest
import torch

from wsl.segmentation.bbam.stride import (adaptive_stride, box_stride, boxes_to_mask_coords, init_mask_from_boxes,
                                          mask_shape, upsample_mask)


def test_adaptive_stride_hand_values():
    assert adaptive_stride(1.0) == 64.0
    assert adaptive_stride(0.25) == 40.0
    assert adaptive_stride(0.0) == 16.0
    assert adaptive_stride(0.01) == pytest.approx(20.8)
    assert isinstance(adaptive_stride(0.3), float)  # not rounded
    assert adaptive_stride(0.3) == pytest.approx(16 + 48 * math.sqrt(0.3))
    with pytest.raises(ValueError, match='area_ratio'):
        adaptive_stride(1.5)


def test_mask_shape_spec_examples():
    # a 500x375 VOC image becomes 800x1066 at the network input (specs/bbam.md §1.2)
    assert mask_shape((800, 1066), 64.0) == (12, 16)
    assert mask_shape((800, 1066), 40.0) == (20, 26)
    assert mask_shape((800, 1066), adaptive_stride(0.01)) == (38, 51)
    assert mask_shape((10, 10), 64.0) == (1, 1)  # never empty


def test_box_stride_uses_gt_box_area_in_input_pixels():
    # whole 800x1066 image -> a = 1; a quarter of its area -> a = 0.25
    assert box_stride((0, 0, 1066, 800), (800, 1066)) == 64.0
    assert box_stride((0, 0, 533, 400), (800, 1066)) == pytest.approx(40.0)
    assert box_stride((0, 0, 533, 400), (800, 1066), mode='fixed', fixed_stride=24.0) == 24.0
    assert box_stride((0, 0, 10, 10), (100, 100), base=2.56, scale=7.68) == pytest.approx(2.56 + 7.68 * 0.1)
    with pytest.raises(ValueError, match='stride_mode'):
        box_stride((0, 0, 1, 1), (10, 10), mode='nearest')


def test_upsample_is_align_corners_true():
    m = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    up = upsample_mask(m, (3, 5))
    # corners are kept exactly and the middle row/column interpolate linearly
    assert up[0, 0] == 0 and up[0, -1] == 1 and up[-1, 0] == 2 and up[-1, -1] == 3
    assert torch.allclose(up[1], torch.tensor([1.0, 1.25, 1.5, 1.75, 2.0]))
    assert torch.allclose(up[0], torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0]))
    batch = upsample_mask(m[None, None].repeat(2, 1, 1, 1), (3, 5))
    assert batch.shape == (2, 1, 3, 5) and torch.equal(batch[1, 0], up)
    assert torch.equal(upsample_mask(torch.tensor([[0.7]]), (2, 3)), torch.full((2, 3), 0.7))


def test_init_mask_is_union_of_truncated_boxes():
    boxes = torch.tensor([[10.0, 5.0, 39.9, 25.0], [50.0, 50.0, 70.0, 63.0], [-30.0, -5.0, 5.0, 9.0]])
    assert boxes_to_mask_coords(boxes, 10.0).tolist() == [[1, 0, 3, 2], [5, 5, 7, 6], [-3, 0, 0, 0]]
    m = init_mask_from_boxes(boxes, 10.0, (6, 8))
    expected = torch.zeros(6, 8)
    expected[0:2, 1:3] = 1  # rows y1:y2, columns x1:x2 (end exclusive, as mask[y1:y2, x1:x2] = 1)
    expected[5:6, 5:7] = 1  # clamped to the mask
    assert torch.equal(m, expected)  # the third box is empty after truncation (x2 = 0)
    assert init_mask_from_boxes(torch.zeros(0, 4), 10.0, (3, 4)).sum() == 0
