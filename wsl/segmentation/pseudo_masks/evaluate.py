"""Score pseudo masks against exact VOC-layout annotations (``SegmentationClass`` + ``SegmentationObject``).

Two numbers per method: the **semantic pseudo-label mIoU** (the class maps of :func:`.export.semantic_label_map`
against ``SegmentationClass``, 255 skipped on both sides by default) and the **instance ABO** (each GT
instance's best IoU over the image's pseudo masks, :mod:`wsl.segmentation.metrics.abo`), plus the mean IoU of
each box's mask with its own GT instance (boxes and instances are paired by XML order).
"""
import os.path as osp
from typing import Callable, Dict, Optional, Sequence

import numpy as np
from PIL import Image

from wsl.segmentation.metrics import average_best_overlap, semantic_miou
from .baselines import box_crf_masks, filled_box_masks, grabcut_masks
from .export import semantic_label_map


def _read_png(path: str) -> np.ndarray:
    if not osp.isfile(path):
        raise FileNotFoundError(f'pseudo-mask evaluation: {path} does not exist')
    with Image.open(path) as im:
        return np.asarray(im)


def evaluate_masks_on_voc(voc_root: str, img_ids: Sequence[str], mask_fn: Callable, classes: Sequence[str],
                          pred_ignore_as: Optional[int] = None) -> dict:
    """Evaluate a box → mask generator on a VOC-layout dataset with exact masks.

    Args:
        voc_root (str): folder with ``JPEGImages``, ``Annotations``, ``SegmentationClass``, ``SegmentationObject``.
        img_ids (Sequence[str]): images to use.
        mask_fn (Callable): ``(image (H, W, 3) uint8 RGB, boxes (N, 4), labels (N,)) -> (strict, loose)``, each
            (N, H, W) bool.
        classes (Sequence[str]): class names (semantic label = index + 1).
        pred_ignore_as (int, optional): how predicted 255 pixels count in the mIoU (None: skipped).

    Returns:
        dict: ``mIoU``, ``IoU`` (per class incl. background, list), ``ignored_fraction``, ``ABO``, ``MABO``,
        ``paired_mIoU`` (mean IoU of each box's strict mask with its own instance), ``images``, ``instances``.
    """
    from wsl.datasets.synthetic.shapes import load_voc_instances
    preds, gts, abo_images, paired = [], [], [], []
    for img_id in img_ids:
        inst = load_voc_instances(voc_root, img_id, classes)
        img_path = osp.join(voc_root, 'JPEGImages', f'{img_id}.jpg')
        with Image.open(img_path) as im:
            image = np.asarray(im.convert('RGB'))
        strict, loose = mask_fn(image, inst['boxes'], inst['labels'])
        preds.append(semantic_label_map(strict, loose, inst['boxes'], inst['labels']))
        gts.append(_read_png(osp.join(voc_root, 'SegmentationClass', f'{img_id}.png')))
        abo_images.append(dict(gt_masks=inst['masks'], gt_labels=inst['labels'], pred_masks=strict))
        for s, g in zip(strict, inst['masks']):
            union = (s | g).sum()
            paired.append((s & g).sum() / union if union else 1.0)
    sem = semantic_miou(preds, gts, len(classes) + 1, pred_ignore_as=pred_ignore_as)
    abo = average_best_overlap(abo_images)
    return dict(mIoU=sem['mIoU'], IoU=[float(v) for v in sem['IoU']], ignored_fraction=sem['ignored_fraction'],
                ABO=abo['ABO'], MABO=abo['MABO'], paired_mIoU=float(np.mean(paired)) if paired else float('nan'),
                images=len(img_ids), instances=abo['num_gt'])


def baseline_mask_fns(grabcut_cfg: Optional[dict] = None, inclusive: bool = True) -> Dict[str, Callable]:
    """The box baselines as ``mask_fn`` callables: ``{'box': ..., 'grabcut': ...}`` (strict = loose)."""
    def box_fn(image, boxes, labels):
        m = filled_box_masks(boxes, image.shape[:2], inclusive)
        return m, m

    def grabcut_fn(image, boxes, labels):
        m = grabcut_masks(image, boxes, grabcut_cfg)
        return m, m

    return dict(box=box_fn, grabcut=grabcut_fn)


def box_crf_mask_fn(cfg: Optional[dict] = None, start: str = 'box') -> Callable:
    """:func:`.baselines.box_crf_masks` as a ``mask_fn``: boxes through BBAM's post-processing ``cfg``."""
    def fn(image, boxes, labels):
        r = box_crf_masks(image, boxes, cfg, start)
        return r['strict'], r['loose']

    return fn


def evaluate_label_dir(out_dir: str, voc_root: str, classes: Sequence[str], which: str = 'strict',
                       pred_ignore_as: Optional[int] = None) -> dict:
    """Evaluate the output of :func:`.make_labels.make_pseudo_labels` against a VOC root.

    Args:
        out_dir (str): holds ``SegmentationClassBBAM/*.png`` and ``instances_<which>.json``.
        voc_root (str): the matching VOC-layout dataset.
        classes (Sequence[str]): class names.
        which (str): instance JSON for ABO ('strict' or 'loose').
        pred_ignore_as (int, optional): see :func:`evaluate_masks_on_voc`.

    Returns:
        dict: ``mIoU``, ``IoU``, ``ignored_fraction``, ``ABO``, ``MABO``, ``images``, ``instances``.
    """
    import contextlib
    import io

    from pycocotools.coco import COCO

    from wsl.datasets.synthetic.shapes import load_voc_instances
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(osp.join(out_dir, f'instances_{which}.json'))
    preds, gts, abo_images = [], [], []
    for img in sorted(coco.dataset['images'], key=lambda x: x['file_name']):
        img_id = osp.splitext(img['file_name'])[0]
        preds.append(_read_png(osp.join(out_dir, 'SegmentationClassBBAM', f'{img_id}.png')))
        gts.append(_read_png(osp.join(voc_root, 'SegmentationClass', f'{img_id}.png')))
        inst = load_voc_instances(voc_root, img_id, classes)
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[img['id']]))
        abo_images.append(dict(gt_masks=inst['masks'], gt_labels=inst['labels'],
                               pred_masks=[coco.annToRLE(a) for a in anns]))
    sem = semantic_miou(preds, gts, len(classes) + 1, pred_ignore_as=pred_ignore_as)
    abo = average_best_overlap(abo_images)
    return dict(mIoU=sem['mIoU'], IoU=[float(v) for v in sem['IoU']], ignored_fraction=sem['ignored_fraction'],
                ABO=abo['ABO'], MABO=abo['MABO'], images=len(preds), instances=abo['num_gt'])


def evaluate_box_baselines(root: str, num_images: int = 50, seed: int = 0, domain: str = 'source',
                           grabcut_cfg: Optional[dict] = None) -> Dict[str, float]:
    """Filled-box and GrabCut pseudo masks on the first ``num_images`` shapes train images (exact masks as GT).

    Args:
        root (str): where the shapes dataset is generated (once; ``make_shapes_dataset(root, num_images, 0, seed)``).
        num_images (int): train images to use.
        seed (int): dataset seed.
        domain (str): 'source' or 'target'.
        grabcut_cfg (dict, optional): GrabCut settings.

    Returns:
        dict: flat ``{method}/{mIoU, ABO, MABO, ignored_fraction}`` plus ``images`` and ``instances``.
    """
    from wsl.datasets.synthetic.shapes import SHAPES_CLASSES, image_id, make_shapes_dataset
    man = make_shapes_dataset(root, num_train=num_images, num_test=0, seed=seed, domains=(domain, ))
    voc = man['domain_roots'][domain]
    ids = [image_id('train', i) for i in range(num_images)]
    out = {}
    for name, fn in baseline_mask_fns(grabcut_cfg).items():
        r = evaluate_masks_on_voc(voc, ids, fn, SHAPES_CLASSES)
        out.update({f'{name}/{k}': float(r[k]) for k in ('mIoU', 'ABO', 'MABO', 'ignored_fraction')})
        out['images'], out['instances'] = r['images'], r['instances']
    return out
