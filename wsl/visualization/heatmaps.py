"""Score heat maps accumulated from boxes (H²FA's Figure B.2, BBAM-style overlays): maths and drawing."""
from typing import Dict, Optional

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def accumulate_box_scores(boxes: np.ndarray, scores: np.ndarray, height: int, width: int,
                          normalize: bool = True) -> np.ndarray:
    """Sum every box's score over the pixels it covers: ``heat[y, x] = Σ_{i: pixel in box i} score_i``.

    A pixel (x, y) (its centre at x + 0.5, y + 0.5) is in box (x1, y1, x2, y2) when x1 <= x + 0.5 < x2 and
    y1 <= y + 0.5 < y2, i.e. columns ``round(x1) .. round(x2) - 1``. Computed with a 2-D difference array
    (O(N + H·W)).

    Args:
        boxes (np.ndarray): (N, 4) (x1, y1, x2, y2) in pixels of the (height, width) image; clipped to it.
        scores (np.ndarray): (N,) non-negative scores.
        height, width (int): map size.
        normalize (bool): divide by the maximum (an all-zero map stays zero).

    Returns:
        np.ndarray: (height, width) float64 map (in [0, 1] when ``normalize``).
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(boxes) != len(scores):
        raise ValueError(f'accumulate_box_scores: {len(boxes)} boxes but {len(scores)} scores')
    if (scores < 0).any():
        raise ValueError('accumulate_box_scores: scores must be non-negative')
    x1 = np.clip(np.round(boxes[:, 0]), 0, width).astype(int)
    x2 = np.clip(np.round(boxes[:, 2]), 0, width).astype(int)
    y1 = np.clip(np.round(boxes[:, 1]), 0, height).astype(int)
    y2 = np.clip(np.round(boxes[:, 3]), 0, height).astype(int)
    ok = (x2 > x1) & (y2 > y1)
    diff = np.zeros((height + 1, width + 1))
    for ys, xs, sign in ((y1, x1, 1), (y1, x2, -1), (y2, x1, -1), (y2, x2, 1)):
        np.add.at(diff, (ys[ok], xs[ok]), sign * scores[ok])
    heat = diff.cumsum(0).cumsum(1)[:height, :width]
    heat[np.abs(heat) < 1e-12] = 0.0  # cumulative-sum round-off
    if normalize and heat.max() > 0:
        heat = heat / heat.max()
    return heat


def draw_score_heatmaps(image: np.ndarray, maps: Dict[str, np.ndarray], out_file: str,
                        title: Optional[str] = None, alpha: float = 0.6, cmap: str = 'jet') -> str:
    """Save the image beside one overlaid heat map per entry of ``maps`` (one row of panels).

    Args:
        image (np.ndarray): (H, W, 3) RGB uint8.
        maps (dict): panel title -> (H, W) map in [0, 1].
        out_file (str): PNG path.
        title (str, optional): figure title.
        alpha (float): heat-map opacity over the image.

    Returns:
        str: ``out_file``.
    """
    h, w = image.shape[:2]
    for name, m in maps.items():
        if m.shape != (h, w):
            raise ValueError(f'draw_score_heatmaps: map {name!r} is {m.shape}, the image is {(h, w)}')
    fig, axes = plt.subplots(1, len(maps) + 1, figsize=(3 * (len(maps) + 1), 3.2), squeeze=False)
    axes = axes[0]
    axes[0].imshow(image)
    axes[0].set_title('image', fontsize=9)
    for ax, (name, m) in zip(axes[1:], maps.items()):
        ax.imshow(image)
        ax.imshow(m, cmap=cmap, alpha=alpha, vmin=0, vmax=1)
        ax.set_title(name, fontsize=9)
    for ax in axes:
        ax.axis('off')
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out_file, dpi=110)
    plt.close(fig)
    return out_file
