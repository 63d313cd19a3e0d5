"""The BBAM perturbation unit: adaptive stride s(a), low-resolution mask shape, upsampling and initial value.

Paper §3.2: s(a) = 16 + 48·√a with a the box area over the image area. The official code
(``BBAM_training_images_multi.py``) measures a with the GT box and the image both in the resized network input,
keeps s a float, and sizes the mask ``(int(H / s), int(W / s))``; the mask is upsampled with
``nn.UpsamplingBilinear2d`` (bilinear, ``align_corners=True``).
"""
import math
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

STRIDE_MODES = ('adaptive', 'fixed')


def adaptive_stride(area_ratio: float, base: float = 16.0, scale: float = 48.0) -> float:
    """s(a) = base + scale·√a, kept as a float (paper §3.2: 16 + 48·√a, so 16 <= s <= 64).

    Args:
        area_ratio (float): a = box area / image area, in [0, 1].
        base (float): s at a = 0 (16).
        scale (float): growth of s with √a (48).

    Returns:
        float: the stride in network-input pixels.
    """
    if not 0.0 <= area_ratio <= 1.0 + 1e-6:
        raise ValueError(f'adaptive_stride: area_ratio must be in [0, 1], got {area_ratio}')
    return float(base + scale * math.sqrt(min(area_ratio, 1.0)))


def box_stride(box: Sequence[float], img_shape: Sequence[int], mode: str = 'adaptive', base: float = 16.0,
               scale: float = 48.0, fixed_stride: float = 32.0) -> float:
    """The stride of one object's mask.

    Args:
        box (Sequence[float]): (x1, y1, x2, y2) GT box in network-input pixels.
        img_shape (Sequence[int]): (H, W) of the resized, un-padded network input.
        mode (str): 'adaptive' (s(a), a = (x2 - x1)(y2 - y1) / (H W)) or 'fixed' (``fixed_stride``; Fig. 7b).
        base (float): adaptive base (16).
        scale (float): adaptive scale (48).
        fixed_stride (float): the stride of mode 'fixed' (the paper compares 24 and 48).

    Returns:
        float: the stride.
    """
    if mode == 'fixed':
        if fixed_stride <= 0:
            raise ValueError(f'box_stride: fixed_stride must be > 0, got {fixed_stride}')
        return float(fixed_stride)
    if mode != 'adaptive':
        raise ValueError(f"box_stride: stride_mode must be one of {STRIDE_MODES}, got {mode!r}")
    h, w = img_shape
    area = max(float(box[2]) - float(box[0]), 0.0) * max(float(box[3]) - float(box[1]), 0.0)
    return adaptive_stride(area / float(h * w), base, scale)


def mask_shape(img_shape: Sequence[int], stride: float) -> Tuple[int, int]:
    """(int(H / s), int(W / s)) as the official code, at least 1×1 (the code would build an empty mask).

    Example: an 800×1066 input gives 12×16 at s = 64 (a = 1) and 20×26 at s = 40 (a = 0.25).
    """
    h, w = img_shape
    return max(1, int(h / stride)), max(1, int(w / stride))


def upsample_mask(mask: Tensor, size: Sequence[int]) -> Tensor:
    """Bilinear upsampling with ``align_corners=True`` (``nn.UpsamplingBilinear2d``, as the code does).

    Args:
        mask (Tensor): (h, w) or (B, 1, h, w) low-resolution mask.
        size (Sequence[int]): (H, W) target size.

    Returns:
        Tensor: (H, W) or (B, 1, H, W), differentiable w.r.t. ``mask``.
    """
    squeeze = mask.dim() == 2
    x = mask[None, None] if squeeze else mask
    if tuple(x.shape[-2:]) == (1, 1):  # align_corners=True is undefined for a 1-pixel input: it is constant
        out = x.expand(*x.shape[:-2], int(size[0]), int(size[1]))
    else:
        out = F.interpolate(x, size=(int(size[0]), int(size[1])), mode='bilinear', align_corners=True)
    return out[0, 0] if squeeze else out


def boxes_to_mask_coords(boxes: Tensor, stride: float) -> Tensor:
    """Boxes divided by the stride with ``int()`` truncation per coordinate (the code's mask initialisation).

    Args:
        boxes (Tensor): (P, 4) boxes (x1, y1, x2, y2) in network-input pixels.
        stride (float): s.

    Returns:
        Tensor: (P, 4) int64 mask cell indices (truncated toward zero).
    """
    return torch.trunc(boxes.detach().double() / stride).long()


def init_mask_from_boxes(boxes: Tensor, stride: float, shape: Sequence[int]) -> Tensor:
    """Initial mask: 1 on the union of the boxes in mask coordinates, 0 elsewhere.

    The official code writes ``mask[y1:y2, x1:x2] = 1`` for every positive's regressed target-class box with
    ``int()``-truncated coordinates. Coordinates are clamped to the mask here; the code would index with a
    negative start (wrapping around in numpy) when a regressed box leaves the image by more than one stride.

    Args:
        boxes (Tensor): (P, 4) boxes (x1, y1, x2, y2) in network-input pixels.
        stride (float): s.
        shape (Sequence[int]): (h, w) of the mask.

    Returns:
        Tensor: (h, w) float32 mask on the boxes' device.
    """
    h, w = int(shape[0]), int(shape[1])
    mask = torch.zeros(h, w, dtype=torch.float32, device=boxes.device)
    if boxes.numel() == 0:
        return mask
    c = boxes_to_mask_coords(boxes, stride).cpu()
    for x1, y1, x2, y2 in c.tolist():
        x1, x2 = min(max(x1, 0), w), min(max(x2, 0), w)
        y1, y2 = min(max(y1, 0), h), min(max(y2, 0), h)
        mask[y1:y2, x1:x2] = 1.0
    return mask
