"""A classical baseline in the same feature layout: OpenCV SIFT with RootSIFT descriptors.

RootSIFT (Arandjelović & Zisserman 2012): L1-normalise, square-root, so that the dot product of the
(then unit-norm) descriptors is the Hellinger kernel; MNN on dot products then works as for R2D2.
"""
from typing import Dict

import cv2
import numpy as np
import torch
from torch import Tensor


def rootsift_features(rgb: np.ndarray, max_keypoints: int = 5000) -> Dict[str, Tensor]:
    """Detect and describe an image with SIFT.

    Args:
        rgb (ndarray): (H, W, 3) uint8 RGB (or (H, W) grey).
        max_keypoints (int): strongest responses kept (0: all).

    Returns:
        dict: ``keypoints`` (N, 3) as (x, y, size) in pixel indices (OpenCV's convention: centres at
        integers), ``scores`` (N,) the detector responses, ``descriptors`` (N, 128) RootSIFT, unit norm;
        sorted by decreasing score, as :func:`~.extract.extract_multiscale` returns them.
    """
    if rgb.dtype != np.uint8 or rgb.ndim not in (2, 3):
        raise ValueError(f'rootsift_features expects an (H, W[, 3]) uint8 image, got {rgb.shape} {rgb.dtype}')
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    kps, desc = cv2.SIFT_create(nfeatures=max_keypoints).detectAndCompute(grey, None)
    if desc is None or not kps:
        return dict(keypoints=torch.zeros((0, 3)), scores=torch.zeros(0), descriptors=torch.zeros((0, 128)))
    desc = desc.astype(np.float64)
    desc = np.sqrt(desc / np.maximum(desc.sum(1, keepdims=True), 1e-12))
    desc /= np.maximum(np.linalg.norm(desc, axis=1, keepdims=True), 1e-12)
    xy = np.array([[k.pt[0], k.pt[1], k.size] for k in kps], np.float32)
    score = np.array([k.response for k in kps], np.float32)
    order = np.argsort(-score, kind='stable')
    if max_keypoints:
        order = order[:max_keypoints]
    return dict(keypoints=torch.from_numpy(xy[order]), scores=torch.from_numpy(score[order]),
                descriptors=torch.from_numpy(desc[order].astype(np.float32)))
