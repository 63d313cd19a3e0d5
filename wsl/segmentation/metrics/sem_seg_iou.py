"""Semantic-segmentation IoU from a confusion matrix (the standard VOC mIoU; spec §4.3).

IoU_c = TP_c / (TP_c + FP_c + FN_c) over all pixels of all images (one confusion matrix, not a mean over
images); classes include the background (label 0). Ground-truth pixels equal to ``ignore_index`` (255, VOC's
boundary/void) are skipped. Predicted ``ignore_index`` pixels (a pseudo label's ignore band) are skipped too by
default (``pred_ignore_as=None``: report ``ignored_fraction``), or counted as a class (e.g. 0 = background).
mIoU is the mean over classes that occur in the ground truth or the predictions (others are NaN).
"""
from collections import OrderedDict
from typing import Iterable, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from wsl.registry import METRICS


def confusion_matrix(pred: np.ndarray, gt: np.ndarray, num_classes: int, ignore_index: int = 255,
                     pred_ignore_as: Optional[int] = None) -> np.ndarray:
    """Pixel confusion matrix of one label map.

    Args:
        pred (np.ndarray): (H, W) predicted labels in [0, C) or ``ignore_index``.
        gt (np.ndarray): (H, W) ground-truth labels in [0, C) or ``ignore_index``.
        num_classes (int): C (background included).
        ignore_index (int): the void label.
        pred_ignore_as (int, optional): class that predicted void pixels count as; None skips them.

    Returns:
        np.ndarray: (C, C) int64, rows = ground truth, columns = prediction.
    """
    pred, gt = np.asarray(pred).astype(np.int64), np.asarray(gt).astype(np.int64)
    if pred.shape != gt.shape:
        raise ValueError(f'confusion_matrix: prediction {pred.shape} and ground truth {gt.shape} differ in shape')
    if pred_ignore_as is not None:
        pred = np.where(pred == ignore_index, int(pred_ignore_as), pred)
    valid = (gt != ignore_index) & (pred != ignore_index)
    for name, arr in (('prediction', pred), ('ground truth', gt)):
        bad = valid & ((arr < 0) | (arr >= num_classes))
        if bad.any():
            raise ValueError(f'confusion_matrix: {name} holds labels {sorted(set(arr[bad].tolist()))[:10]}, '
                             f'expected 0..{num_classes - 1} or {ignore_index}')
    idx = gt[valid] * num_classes + pred[valid]
    return np.bincount(idx, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def iou_from_confusion(cm: np.ndarray) -> np.ndarray:
    """(C,) IoU per class from a (C, C) confusion matrix; NaN where the class is absent from GT and prediction."""
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - tp
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(union > 0, tp / np.maximum(union, 1e-12), np.nan)


def semantic_miou(preds: Iterable[np.ndarray], gts: Iterable[np.ndarray], num_classes: int,
                  ignore_index: int = 255, pred_ignore_as: Optional[int] = None) -> dict:
    """mIoU of paired label maps.

    Args:
        preds (Iterable[np.ndarray]): (H, W) predicted maps.
        gts (Iterable[np.ndarray]): (H, W) ground-truth maps, same order.
        num_classes (int): C including background.
        ignore_index (int): void label.
        pred_ignore_as (int, optional): see :func:`confusion_matrix`.

    Returns:
        dict: ``mIoU`` (float in [0, 1]), ``IoU`` (C,) array, ``aAcc`` (pixel accuracy), ``confusion`` (C, C),
        ``ignored_fraction`` (share of non-void GT pixels whose prediction was void and skipped).
    """
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    skipped = counted = 0
    for pred, gt in zip(preds, gts):
        cm += confusion_matrix(pred, gt, num_classes, ignore_index, pred_ignore_as)
        gt_valid = np.asarray(gt) != ignore_index
        counted += int(gt_valid.sum())
        if pred_ignore_as is None:
            skipped += int((gt_valid & (np.asarray(pred) == ignore_index)).sum())
    iou = iou_from_confusion(cm)
    total = cm.sum()
    return dict(mIoU=float(np.nanmean(iou)) if np.isfinite(iou).any() else float('nan'), IoU=iou,
                aAcc=float(np.trace(cm) / total) if total else float('nan'), confusion=cm,
                ignored_fraction=skipped / counted if counted else 0.0)


def _label_map(field) -> np.ndarray:
    # wsl writes ``sem_seg``; MMSegmentation's PixelData keeps the map under ``data``.
    if isinstance(field, dict):
        data = field['sem_seg'] if 'sem_seg' in field else field['data']
    else:
        data = getattr(field, 'sem_seg', getattr(field, 'data', field))
    arr = data.detach().cpu().numpy() if hasattr(data, 'detach') else np.asarray(data)
    return arr.reshape(arr.shape[-2:])


@METRICS.register_module()
class SemSegIoUMetric(BaseMetric):
    """Semantic mIoU over a dataset (keys ``mIoU``, ``aAcc``, ``IoU_<class>``; values in [0, 1]).

    Reads ``pred_sem_seg.sem_seg`` and ``gt_sem_seg.sem_seg`` ((1, H, W) label maps) of each data sample
    (MMSegmentation's field names).

    Args:
        num_classes (int, optional): C including background; default len(dataset_meta['classes']) + 1 when
            ``with_background`` else len(classes).
        with_background (bool): label 0 is a background class not listed in ``dataset_meta['classes']``
            (VOC layout: 0 background, c + 1 class c). Defaults to True.
        ignore_index (int): void label (skipped in the ground truth). Defaults to 255.
        pred_ignore_as (int, optional): class that predicted void pixels count as; None skips them.
        collect_device (str), prefix (str, optional): as ``mmengine.evaluator.BaseMetric``.
    """

    default_prefix: Optional[str] = 'semseg'

    def __init__(self, num_classes: Optional[int] = None, with_background: bool = True, ignore_index: int = 255,
                 pred_ignore_as: Optional[int] = None, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.num_classes, self.with_background = num_classes, with_background
        self.ignore_index, self.pred_ignore_as = ignore_index, pred_ignore_as

    def _class_names(self) -> list:
        classes = list((self.dataset_meta or {}).get('classes', []))
        names = (['background'] + classes) if self.with_background else classes
        n = self.num_classes or len(names)
        if not n:
            raise ValueError('SemSegIoUMetric: set num_classes or provide dataset_meta["classes"]')
        return (names + [f'class_{i}' for i in range(len(names), n)])[:n]

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        n = len(self._class_names())
        for s in data_samples:
            for key in ('pred_sem_seg', 'gt_sem_seg'):
                if key not in s:
                    raise KeyError(f'SemSegIoUMetric: data sample lacks {key!r} (expected pred_sem_seg and '
                                   f'gt_sem_seg with a sem_seg (1, H, W) label map)')
            pred, gt = _label_map(s['pred_sem_seg']), _label_map(s['gt_sem_seg'])
            cm = confusion_matrix(pred, gt, n, self.ignore_index, self.pred_ignore_as)
            skipped = int(((gt != self.ignore_index) & (pred == self.ignore_index)).sum()) \
                if self.pred_ignore_as is None else 0
            self.results.append(dict(confusion=cm, skipped=skipped, counted=int((gt != self.ignore_index).sum())))

    def compute_metrics(self, results: list) -> dict:
        names = self._class_names()
        cm = sum(r['confusion'] for r in results)
        iou = iou_from_confusion(cm)
        metrics = OrderedDict()
        metrics['mIoU'] = float(np.nanmean(iou)) if np.isfinite(iou).any() else float('nan')
        metrics['aAcc'] = float(np.trace(cm) / cm.sum()) if cm.sum() else float('nan')
        counted = sum(r['counted'] for r in results)
        metrics['ignored_fraction'] = sum(r['skipped'] for r in results) / counted if counted else 0.0
        rows = ['class            IoU']
        for name, v in zip(names, iou):
            metrics[f'IoU_{name}'] = float(v)
            rows.append(f'{name:<15} {v * 100:6.2f}')
        rows.append(f"{'mean':<15} {metrics['mIoU'] * 100:6.2f}")
        print_log('\n' + '\n'.join(rows), logger=MMLogger.get_current_instance())
        return metrics
