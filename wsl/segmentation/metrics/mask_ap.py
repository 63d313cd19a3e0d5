"""Instance-mask AP with the COCO API, including BBAM's AP25 and AP70 (spec §4.3).

BBAM reports AP25/AP50/AP70/AP75 and AP (mean over IoU 0.5:0.95) from ``COCOeval(iouType='segm')`` — 101-point
interpolated precision, up to 100 detections per image, all areas. Stock pycocotools has no AP25/AP70 slot (the
official repo reads a patched ``stats[-2]``); here ``params.iouThrs`` is extended with 0.25 (0.70 is already one
of the ten standard thresholds) and AP_τ = mean of ``eval['precision'][t, :, :, 0, -1]`` over entries > −1
(recall points × classes with ground truth). AP over the ten standard thresholds equals ``stats[0]``.
"""
import contextlib
import io
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from wsl.registry import METRICS
from .abo import average_best_overlap

STANDARD_IOU_THRS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1)
REPORTED_IOUS = OrderedDict(AP25=0.25, AP50=0.5, AP70=0.7, AP75=0.75)


def make_coco(images: Sequence[dict], annotations: Sequence[dict], categories: Sequence[dict]):
    """An in-memory ``pycocotools.coco.COCO`` from lists of image, annotation and category dicts."""
    from pycocotools.coco import COCO
    coco = COCO()
    coco.dataset = dict(images=list(images), annotations=list(annotations), categories=list(categories))
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def coco_mask_ap(coco_gt, detections: Sequence[dict], extra_iou_thrs: Sequence[float] = (0.25, 0.7),
                 max_dets: int = 100) -> Dict[str, float]:
    """Mask AP, AP25, AP50, AP70, AP75 (and AP_S/M/L) of detections against a COCO ground truth.

    Args:
        coco_gt (pycocotools.coco.COCO): ground truth with ``segmentation`` (polygons or RLE), ``area``,
            ``iscrowd``.
        detections (Sequence[dict]): ``image_id``, ``category_id``, ``segmentation`` (RLE), ``score``.
        extra_iou_thrs (Sequence[float]): thresholds added to the standard ten.
        max_dets (int): detections per image (COCO: 100).

    Returns:
        dict: ``AP`` (0.5:0.95), ``AP25``, ``AP50``, ``AP70``, ``AP75``, ``AP_S``, ``AP_M``, ``AP_L`` in [0, 1]
        (−1 where no category has ground truth, as pycocotools).
    """
    from pycocotools.cocoeval import COCOeval
    keys = ['AP', *REPORTED_IOUS, 'AP_S', 'AP_M', 'AP_L']
    if not detections:
        return {k: 0.0 if coco_gt.getAnnIds() else -1.0 for k in keys}
    dets = []
    for d in detections:
        seg = dict(d['segmentation'])
        if isinstance(seg.get('counts'), str):
            seg['counts'] = seg['counts'].encode('ascii')
        dets.append(dict(d, segmentation=seg))
    thrs = np.unique(np.round(np.concatenate([STANDARD_IOU_THRS, np.asarray(extra_iou_thrs, float)]), 10))
    with contextlib.redirect_stdout(io.StringIO()):
        coco_dt = coco_gt.loadRes(dets)
        ev = COCOeval(coco_gt, coco_dt, iouType='segm')
        ev.params.iouThrs = thrs
        ev.params.maxDets = [1, 10, max_dets]
        ev.evaluate()
        ev.accumulate()
    prec = ev.eval['precision']  # [T, R, K, A, M]

    def mean_valid(p: np.ndarray) -> float:
        p = p[p > -1]
        return float(p.mean()) if p.size else -1.0

    def t_index(v: float) -> int:
        hits = np.nonzero(np.isclose(thrs, v))[0]
        if not len(hits):
            raise ValueError(f'coco_mask_ap: IoU threshold {v} is not evaluated (thresholds {thrs.tolist()})')
        return int(hits[0])

    std = [t_index(v) for v in STANDARD_IOU_THRS]
    out = OrderedDict(AP=mean_valid(prec[std, :, :, 0, -1]))
    for key, v in REPORTED_IOUS.items():
        if any(np.isclose(thrs, v)):
            out[key] = mean_valid(prec[t_index(v), :, :, 0, -1])
    for key, a in (('AP_S', 1), ('AP_M', 2), ('AP_L', 3)):
        out[key] = mean_valid(prec[std, :, :, a, -1])
    return out


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, 'detach') else np.asarray(x)


def _encode(mask: np.ndarray) -> dict:
    from pycocotools import mask as mask_utils
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')
    return rle


def _gt_rles(sample: dict, h: int, w: int) -> tuple:
    """(RLEs, labels, ignore flags) of a data sample's ground truth, from raw ``instances`` or ``gt_instances``."""
    from pycocotools import mask as mask_utils
    if 'instances' in sample and sample['instances'] and 'mask' in sample['instances'][0]:
        rles, labels, ign = [], [], []
        for inst in sample['instances']:
            m = inst['mask']
            if isinstance(m, list):  # polygons
                r = mask_utils.merge(mask_utils.frPyObjects(m, h, w))
            elif isinstance(m, dict):
                r = mask_utils.frPyObjects(m, h, w) if isinstance(m['counts'], list) else dict(m)
            else:
                r = mask_utils.encode(np.asfortranarray(np.asarray(m, dtype=np.uint8)))
            if isinstance(r['counts'], bytes):
                r['counts'] = r['counts'].decode('ascii')
            rles.append(r)
            labels.append(int(inst['bbox_label']))
            ign.append(int(inst.get('ignore_flag', 0)))
        return rles, labels, ign
    if 'gt_instances' not in sample or 'masks' not in sample['gt_instances']:
        raise KeyError('InstanceMaskAPMetric: a data sample needs raw "instances" with "mask" or gt_instances.masks '
                       'when no ann_file is given')
    gi = sample['gt_instances']
    masks = gi['masks']
    masks = masks.to_ndarray() if hasattr(masks, 'to_ndarray') else _np(masks)
    if masks.shape[-2:] != (h, w):
        raise ValueError(f'InstanceMaskAPMetric: gt_instances.masks are {masks.shape[-2:]}, expected the original '
                         f'size {(h, w)}; load annotations after the Resize transform or pass ann_file')
    return [_encode(m) for m in masks.astype(bool)], _np(gi['labels']).astype(int).tolist(), [0] * len(masks)


@METRICS.register_module()
class InstanceMaskAPMetric(BaseMetric):
    """COCO-API mask AP with AP25/AP70 plus ABO (keys ``AP``, ``AP25``, ``AP50``, ``AP70``, ``AP75``, ``ABO``, ...).

    Predictions: ``pred_instances`` with ``masks`` ((N, H, W) bool at the original image size, as MMDetection's
    mask heads return them), ``scores``, ``labels`` (0-based class indices). Ground truth: from ``ann_file``
    (a COCO JSON; ``img_id`` of the samples are its image ids, classes matched by name) or, without it, from
    each sample's raw ``instances`` (``mask`` polygons/RLE, ``bbox_label``, ``ignore_flag``) or ``gt_instances``.

    Args:
        ann_file (str, optional): COCO ground-truth JSON.
        score_thr (float, optional): ABO counts only predictions with score >= it (AP uses all).
        max_dets (int): detections per image for AP. Defaults to 100.
        collect_device (str), prefix (str, optional): as ``mmengine.evaluator.BaseMetric``.
    """

    default_prefix: Optional[str] = 'mask'

    def __init__(self, ann_file: Optional[str] = None, score_thr: Optional[float] = None, max_dets: int = 100,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ann_file, self.score_thr, self.max_dets = ann_file, score_thr, max_dets
        self._coco = None
        if ann_file is not None:
            from pycocotools.coco import COCO
            with contextlib.redirect_stdout(io.StringIO()):
                self._coco = COCO(ann_file)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for s in data_samples:
            h, w = (int(v) for v in s['ori_shape'][:2])
            pred = s['pred_instances']
            masks = _np(pred['masks']).astype(bool).reshape(-1, h, w) if 'masks' in pred else np.zeros((0, h, w))
            rec = dict(img_id=s['img_id'], height=h, width=w, pred_rles=[_encode(m) for m in masks],
                       pred_scores=_np(pred['scores']).reshape(-1).tolist(),
                       pred_labels=_np(pred['labels']).reshape(-1).astype(int).tolist())
            if self._coco is None:
                rec['gt_rles'], rec['gt_labels'], rec['gt_ignore'] = _gt_rles(s, h, w)
            self.results.append(rec)

    def _ground_truth(self, results: list) -> tuple:
        classes = list(self.dataset_meta['classes'])
        if self._coco is not None:
            by_name = {c['name']: c['id'] for c in self._coco.dataset['categories']}
            missing = [c for c in classes if c not in by_name]
            if missing:
                raise ValueError(f'InstanceMaskAPMetric: classes {missing} are not categories of {self.ann_file}')
            return self._coco, [by_name[c] for c in classes]
        from pycocotools import mask as mask_utils
        images, anns = [], []
        for k, r in enumerate(results):
            images.append(dict(id=k + 1, height=r['height'], width=r['width']))
            for rle, lab, ign in zip(r['gt_rles'], r['gt_labels'], r['gt_ignore']):
                brle = dict(rle, counts=rle['counts'].encode('ascii'))
                anns.append(dict(id=len(anns) + 1, image_id=k + 1, category_id=lab + 1, segmentation=rle,
                                 area=float(mask_utils.area(brle)), iscrowd=int(ign),
                                 bbox=[float(v) for v in mask_utils.toBbox(brle)]))
        cats = [dict(id=i + 1, name=c) for i, c in enumerate(classes)]
        return make_coco(images, anns, cats), list(range(1, len(classes) + 1))

    def compute_metrics(self, results: list) -> dict:
        coco, cat_ids = self._ground_truth(results)
        dets, abo_images = [], []
        for k, r in enumerate(results):
            image_id = r['img_id'] if self._coco is not None else k + 1
            for rle, score, lab in zip(r['pred_rles'], r['pred_scores'], r['pred_labels']):
                dets.append(dict(image_id=image_id, category_id=cat_ids[lab], segmentation=rle, score=float(score)))
            gt_anns = coco.loadAnns(coco.getAnnIds(imgIds=[image_id], iscrowd=False))
            gt = [coco.annToRLE(a) for a in gt_anns]
            labels = [cat_ids.index(a['category_id']) if a['category_id'] in cat_ids else -1 for a in gt_anns]
            abo_images.append(dict(gt_masks=gt, gt_labels=labels, pred_masks=r['pred_rles'],
                                   pred_scores=r['pred_scores']))
        metrics = coco_mask_ap(coco, dets, max_dets=self.max_dets)
        abo = average_best_overlap(abo_images, self.score_thr)
        metrics['ABO'], metrics['MABO'] = abo['ABO'], abo['MABO']
        print_log('mask ' + '  '.join(f'{k} {v * 100:.1f}' for k, v in metrics.items()),
                  logger=MMLogger.get_current_instance())
        return metrics
