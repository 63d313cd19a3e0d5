"""A matches figure for an image pair (the seed paper's Figure 2): mutual-NN matches drawn side by
side, coloured by correctness when the ground-truth homography is known."""
import os
import os.path as osp
from typing import Callable, Dict, Optional

import cv2
import numpy as np
from torch import Tensor

from .extract import R2D2_EXTRACT_DEFAULTS, extract_multiscale, normalize_rgb
from .mma import mutual_nn_match, project_homography

GREEN, RED, BLUE = (40, 200, 40), (220, 40, 40), (40, 120, 230)


def draw_matches(img1: np.ndarray, img2: np.ndarray, kp1: np.ndarray, kp2: np.ndarray, matches: np.ndarray,
                 correct: Optional[np.ndarray] = None, gap: int = 8, thickness: int = 1) -> np.ndarray:
    """Draw matches on a side-by-side canvas.

    Args:
        img1, img2 (ndarray): (H, W, 3) uint8 RGB images.
        kp1, kp2 (ndarray): (N, >=2) keypoints (x, y) in pixels.
        matches (ndarray): (K, 2) index pairs.
        correct (ndarray, optional): (K,) bool; green for True, red for False, blue when None.

    Returns:
        ndarray: (max(H1, H2), W1 + gap + W2, 3) uint8 RGB canvas; image 2 starts at x = W1 + gap.
    """
    h1, w1 = img1.shape[:2]
    h2, w2 = img2.shape[:2]
    canvas = np.full((max(h1, h2), w1 + gap + w2, 3), 255, np.uint8)
    canvas[:h1, :w1], canvas[:h2, w1 + gap:] = img1, img2
    for k, (i, j) in enumerate(np.asarray(matches, dtype=np.int64)):
        colour = BLUE if correct is None else (GREEN if correct[k] else RED)
        p = (int(round(kp1[i, 0])), int(round(kp1[i, 1])))
        q = (int(round(kp2[j, 0])) + w1 + gap, int(round(kp2[j, 1])))
        cv2.line(canvas, p, q, colour, thickness, cv2.LINE_AA)
        cv2.circle(canvas, p, 2, colour, -1)
        cv2.circle(canvas, q, 2, colour, -1)
    return canvas


def matches_figure(net: Callable[[Tensor], Dict[str, Tensor]], img1: np.ndarray, img2: np.ndarray,
                   H: Optional[np.ndarray] = None, threshold: float = 3.0, path: Optional[str] = None,
                   **extract_cfg) -> Dict[str, object]:
    """Extract, match (mutual NN) and draw; a match is correct when its reprojection error by ``H``
    (image 1 -> image 2) is <= ``threshold`` px. Saves a PNG to ``path`` when given.

    Returns:
        dict: ``canvas`` (RGB uint8), ``num_matches``, ``num_correct`` (None without ``H``).
    """
    cfg = {**R2D2_EXTRACT_DEFAULTS, **extract_cfg}
    f1, f2 = (extract_multiscale(net, normalize_rgb(x), **cfg) for x in (img1, img2))
    kp1, kp2 = f1['keypoints'].cpu().numpy(), f2['keypoints'].cpu().numpy()
    m = mutual_nn_match(f1['descriptors'], f2['descriptors']).cpu().numpy()
    correct = None
    if H is not None:
        err = np.linalg.norm(project_homography(kp1[m[:, 0], :2].astype(np.float64), H) - kp2[m[:, 1], :2], axis=1)
        correct = err <= threshold
    canvas = draw_matches(img1, img2, kp1, kp2, m, correct)
    if path is not None:
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        cv2.imwrite(path, cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    return dict(canvas=canvas, num_matches=len(m), num_correct=None if correct is None else int(correct.sum()))
