"""Dense correspondences of a homography, in R2D2's absolute-flow format."""
import numpy as np
import torch
from torch import Tensor


def homography_aflow(H: np.ndarray, height: int, width: int) -> Tensor:
    """Absolute flow of the homography ``H`` (image 1 -> image 2) on an image-1 grid.

    Args:
        H (ndarray): (3, 3) mapping image-1 pixels (x, y, 1) to image-2 pixels, pixel centres at
            integers (OpenCV's ``warpPerspective`` convention).
        height, width (int): size of image 1.

    Returns:
        Tensor: (2, height, width) float32 with ``aflow[:, y, x] = dehomogenised H @ (x, y, 1)``;
        points mapped to infinity (w = 0) are NaN.
    """
    H = np.asarray(H, dtype=np.float64)
    if H.shape != (3, 3):
        raise ValueError(f'homography_aflow: H must be 3x3, got {H.shape}')
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    p = np.stack([xs, ys, np.ones_like(xs)], axis=0).reshape(3, -1)
    q = H @ p
    with np.errstate(divide='ignore', invalid='ignore'):
        xy = q[:2] / q[2:]
    xy[:, ~np.isfinite(xy).all(axis=0)] = np.nan
    return torch.from_numpy(xy.reshape(2, height, width).astype(np.float32))
