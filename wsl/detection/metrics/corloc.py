"""CorLoc (correct localization), as the official H²FA evaluator (``voc_eval_corloc``) computes it.

For each class c:

* positive images: images with at least one non-difficult GT box of class c (all-difficult images are skipped);
* the prediction used: the single highest-scoring detection of class c in the image;
* success: that box has IoU > ``iou_thr`` (strictly) with any GT box of class c, difficult ones included;
  a positive image without a detection of c is a failure; detections in other images are ignored;
* ``CorLoc_c = successes / positive images``; ``mCorLoc`` is the mean over classes with positive images.

Boxes use VOC's legacy +1 area convention by default (as py-faster-rcnn). H²FA reports CorLoc@0.5 on the
target-domain TRAINING split (Table B.4).
"""
from collections import OrderedDict
from typing import List, Optional, Sequence

import numpy as np
from mmdet.evaluation.functional import bbox_overlaps
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from wsl.registry import METRICS


def corloc_per_class(results: List[dict], num_classes: int, iou_thr: float = 0.5,
                     use_legacy_coordinate: bool = True) -> tuple:
    """CorLoc of each class from per-image records.

    Args:
        results (list[dict]): per image: ``gt_bboxes`` (G, 4), ``gt_labels`` (G,), ``ignore_bboxes`` (D, 4),
            ``ignore_labels`` (D,) (difficult boxes), ``pred_bboxes`` (P, 4), ``pred_scores`` (P,),
            ``pred_labels`` (P,); boxes (x1, y1, x2, y2) in the same pixel frame.
        num_classes (int): C.
        iou_thr (float): success needs IoU strictly above it.
        use_legacy_coordinate (bool): +1 in widths/heights (VOC legacy).

    Returns:
        tuple: (corloc (C,) float with NaN for classes without positive images, positives (C,), hits (C,)).
    """
    positives = np.zeros(num_classes, dtype=np.int64)
    hits = np.zeros(num_classes, dtype=np.int64)
    for r in results:
        for c in np.unique(r['gt_labels']).astype(int):
            positives[c] += 1
            dets = np.nonzero(r['pred_labels'] == c)[0]
            if len(dets) == 0:
                continue
            best = dets[np.argmax(r['pred_scores'][dets])]
            gts = np.concatenate([r['gt_bboxes'][r['gt_labels'] == c], r['ignore_bboxes'][r['ignore_labels'] == c]])
            ious = bbox_overlaps(r['pred_bboxes'][best:best + 1].astype(np.float64), gts.astype(np.float64),
                                 use_legacy_coordinate=use_legacy_coordinate)
            hits[c] += int(ious.max() > iou_thr)
    with np.errstate(invalid='ignore', divide='ignore'):
        corloc = np.where(positives > 0, hits / np.maximum(positives, 1), np.nan)
    return corloc, positives, hits


@METRICS.register_module()
class CorLocMetric(BaseMetric):
    """CorLoc per class and its mean (keys ``corloc/mCorLoc`` and ``corloc/CorLoc_<class>``).

    Args:
        iou_thr (float): IoU threshold (strict ``>``). Defaults to 0.5 (CL50).
        use_legacy_coordinate (bool): VOC +1 box area. Defaults to True.
        collect_device (str), prefix (str, optional): as ``mmengine.evaluator.BaseMetric``.
    """

    default_prefix: Optional[str] = 'corloc'

    def __init__(self, iou_thr: float = 0.5, use_legacy_coordinate: bool = True, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.iou_thr, self.use_legacy_coordinate = iou_thr, use_legacy_coordinate

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for s in data_samples:
            gt, ign, pred = s['gt_instances'], s.get('ignored_instances', {}), s['pred_instances']
            empty = np.zeros((0, 4), dtype=np.float32)
            self.results.append(dict(
                gt_bboxes=_np(gt['bboxes']).reshape(-1, 4), gt_labels=_np(gt['labels']).reshape(-1),
                ignore_bboxes=_np(ign['bboxes']).reshape(-1, 4) if 'bboxes' in ign else empty,
                ignore_labels=_np(ign['labels']).reshape(-1) if 'labels' in ign else np.zeros(0, np.int64),
                pred_bboxes=_np(pred['bboxes']).reshape(-1, 4), pred_scores=_np(pred['scores']).reshape(-1),
                pred_labels=_np(pred['labels']).reshape(-1)))

    def compute_metrics(self, results: list) -> dict:
        classes = self.dataset_meta['classes']
        corloc, positives, hits = corloc_per_class(results, len(classes), self.iou_thr, self.use_legacy_coordinate)
        metrics = OrderedDict()
        valid = positives > 0
        metrics['mCorLoc'] = float(np.mean(corloc[valid])) if valid.any() else float('nan')
        rows = ['class      positives  correct  CorLoc']
        for c, name in enumerate(classes):
            metrics[f'CorLoc_{name}'] = float(corloc[c])
            rows.append(f'{name:<10} {positives[c]:>9d} {hits[c]:>8d}  {corloc[c]:.4f}')
        rows.append(f"{'mean':<10} {positives.sum():>9d} {hits.sum():>8d}  {metrics['mCorLoc']:.4f}")
        print_log('\n' + '\n'.join(rows), logger=MMLogger.get_current_instance())
        return metrics


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, 'detach') else np.asarray(x)
