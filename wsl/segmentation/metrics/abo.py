"""Average Best Overlap (ABO) of instance masks (Pont-Tuset / Uijlings; used by PRM, IAM, SDI and BBAM).

For every ground-truth instance g: best overlap = max_p IoU(g, p) over all predicted masks p of the same
image, class-agnostic and regardless of score (0 when the image has no prediction). ABO = mean over all GT
instances (the variant reported here, spec §4.3); MABO = mean over classes of the per-class means. Optionally
only predictions with score ≥ ``score_thr`` count. No official BBAM/PRM code exists; this is the standard
definition. Values are fractions in [0, 1] (the papers print %).
"""
from typing import Optional, Sequence

import numpy as np


def _rle_list(masks) -> list:
    """RLE dicts (bytes counts) from a list of RLEs or an (N, H, W) array."""
    from pycocotools import mask as mask_utils
    if isinstance(masks, np.ndarray):
        if masks.ndim != 3:
            raise ValueError(f'ABO: masks must be (N, H, W), got {masks.shape}')
        return [mask_utils.encode(np.asfortranarray(m.astype(np.uint8))) for m in masks]
    out = []
    for r in masks:
        r = dict(r)
        if isinstance(r['counts'], str):
            r['counts'] = r['counts'].encode('ascii')
        out.append(r)
    return out


def best_overlaps(gt_masks, pred_masks, pred_scores: Optional[Sequence[float]] = None,
                  score_thr: Optional[float] = None) -> np.ndarray:
    """Best IoU of each GT mask over the predictions of one image.

    Args:
        gt_masks: (G, H, W) bool array or G RLE dicts.
        pred_masks: (P, H, W) bool array or P RLE dicts.
        pred_scores (Sequence[float], optional): (P,) scores (needed with ``score_thr``).
        score_thr (float, optional): keep predictions with score >= it.

    Returns:
        np.ndarray: (G,) float64 best overlaps.
    """
    from pycocotools import mask as mask_utils
    gts, preds = _rle_list(gt_masks), _rle_list(pred_masks)
    if score_thr is not None:
        if pred_scores is None or len(pred_scores) != len(preds):
            raise ValueError('best_overlaps: score_thr needs one score per predicted mask')
        preds = [p for p, s in zip(preds, pred_scores) if s >= score_thr]
    if not gts:
        return np.zeros(0)
    if not preds:
        return np.zeros(len(gts))
    for r in preds:
        if tuple(r['size']) != tuple(gts[0]['size']):
            raise ValueError(f"best_overlaps: predicted mask size {tuple(r['size'])} differs from the ground truth "
                             f"{tuple(gts[0]['size'])} (masks must be at the original image resolution)")
    ious = np.asarray(mask_utils.iou(preds, gts, [0] * len(gts))).reshape(len(preds), len(gts))
    return ious.max(0)


def average_best_overlap(images: Sequence[dict], score_thr: Optional[float] = None) -> dict:
    """ABO and MABO over a dataset.

    Args:
        images (Sequence[dict]): per image ``gt_masks``, ``gt_labels`` (G,), ``pred_masks`` and optionally
            ``pred_scores`` (see :func:`best_overlaps`).
        score_thr (float, optional): score threshold on predictions.

    Returns:
        dict: ``ABO`` (instance mean), ``MABO`` (mean of class means), ``num_gt``, ``per_class`` {label: mean}.
    """
    best, labels = [], []
    for img in images:
        b = best_overlaps(img['gt_masks'], img['pred_masks'], img.get('pred_scores'), score_thr)
        gl = np.asarray(img['gt_labels']).reshape(-1)
        if len(gl) != len(b):
            raise ValueError(f'average_best_overlap: {len(b)} GT masks but {len(gl)} GT labels in one image')
        best.append(b)
        labels.append(gl)
    best = np.concatenate(best) if best else np.zeros(0)
    labels = np.concatenate(labels) if labels else np.zeros(0, np.int64)
    per_class = {int(c): float(best[labels == c].mean()) for c in np.unique(labels)}
    return dict(ABO=float(best.mean()) if len(best) else float('nan'),
                MABO=float(np.mean(list(per_class.values()))) if per_class else float('nan'),
                num_gt=int(len(best)), per_class=per_class)
