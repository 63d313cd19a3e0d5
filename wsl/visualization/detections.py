"""Figures of boxes on images: ground truth vs predictions, in a grid (matplotlib, no display needed)."""
from typing import Optional, Sequence

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def draw_detection_grid(images: Sequence[np.ndarray], gts: Sequence[dict], preds: Sequence[dict],
                        classes: Sequence[str], out_file: str, titles: Optional[Sequence[str]] = None,
                        score_thr: float = 0.5, ncols: int = 4) -> str:
    """Save a grid of images with ground-truth (green, dashed) and predicted (red) boxes.

    Args:
        images: RGB uint8 arrays (H, W, 3).
        gts: per image ``dict(bboxes=(N, 4) x1y1x2y2 pixels, labels=(N,))``.
        preds: per image ``dict(bboxes=(M, 4), labels=(M,), scores=(M,))``; boxes under ``score_thr`` are not drawn.
        classes: class names indexed by label.
        out_file: PNG path.

    Returns:
        ``out_file``.
    """
    n = len(images)
    if not (len(gts) == len(preds) == n):
        raise ValueError(f'images, gts and preds must have one entry per image: {n}, {len(gts)}, {len(preds)}')
    ncols = min(ncols, max(n, 1))
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3 * ncols, 3 * nrows), squeeze=False)
    for ax in axes.ravel():
        ax.axis('off')
    for i, (img, gt, pred) in enumerate(zip(images, gts, preds)):
        ax = axes.ravel()[i]
        ax.imshow(img)
        for box, lab in zip(np.asarray(gt['bboxes']).reshape(-1, 4), np.asarray(gt['labels']).reshape(-1)):
            x1, y1, x2, y2 = box
            ax.add_patch(plt.Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, ec='lime', lw=1.5, ls='--'))
        scores = np.asarray(pred['scores']).reshape(-1)
        for box, lab, s in zip(np.asarray(pred['bboxes']).reshape(-1, 4), np.asarray(pred['labels']).reshape(-1),
                               scores):
            if s < score_thr:
                continue
            x1, y1, x2, y2 = box
            ax.add_patch(plt.Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, ec='red', lw=1.5))
            ax.text(x1, max(y1 - 2, 0), f'{classes[int(lab)]} {s:.2f}', color='white', fontsize=6,
                    bbox=dict(facecolor='red', alpha=0.7, pad=0.5, lw=0))
        if titles is not None:
            ax.set_title(titles[i], fontsize=8)
    fig.tight_layout()
    fig.savefig(out_file, dpi=110)
    plt.close(fig)
    return out_file
