"""Exact instance masks of a VOC-layout dataset as a COCO JSON (the ground truth for mask AP and ABO).

BBAM evaluates its Mask R-CNN with the COCO API on ``voc_2012_val_cocostyle.json`` (specs/bbam.md §4.3). This
writes the same kind of file from any VOC-layout root that has ``Annotations/`` and ``SegmentationObject/``
(instance k of the PNG = the k-th ``<object>`` of the XML; 255 = boundary, in no mask): PASCAL VOC 2012 val or the
synthetic shapes test split. Categories, image ids, ``bbox`` (the XML box, w = x2 − x1 + 1) and RLE masks follow
:func:`wsl.segmentation.pseudo_masks.instances_to_coco`, so the file pairs with the pseudo-label JSONs.
"""
import os.path as osp
from typing import Sequence

from mmengine.fileio import list_from_file

from wsl.segmentation.pseudo_masks import instances_to_coco, write_json

VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable',
               'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor')


def read_split(voc_root: str, split: str) -> list:
    """Image ids of ``ImageSets/Segmentation/<split>.txt`` (or ``ImageSets/Main/<split>.txt``) under ``voc_root``."""
    for sub in ('Segmentation', 'Main'):
        path = osp.join(voc_root, 'ImageSets', sub, f'{split}.txt')
        if osp.isfile(path):
            ids = [line.strip().split()[0] for line in list_from_file(path) if line.strip()]
            if not ids:
                raise ValueError(f'read_split: {path} lists no image ids')
            return ids
    raise FileNotFoundError(f'read_split: neither ImageSets/Segmentation/{split}.txt nor ImageSets/Main/{split}.txt '
                            f'exists under {voc_root!r}')


def voc_instances_to_coco(voc_root: str, img_ids: Sequence[str], classes: Sequence[str],
                          img_suffix: str = '.jpg') -> dict:
    """COCO dict of the exact instance masks of some images of a VOC-layout root.

    Args:
        voc_root (str): folder with ``Annotations/<id>.xml`` and ``SegmentationObject/<id>.png``.
        img_ids (Sequence[str]): image ids.
        classes (Sequence[str]): class names (category id = index + 1).
        img_suffix (str): image file extension written as ``file_name``.

    Returns:
        dict: ``images``, ``annotations`` (RLE ``segmentation``, ``bbox`` (x, y, w, h), ``area``, ``iscrowd`` 0),
        ``categories``.
    """
    from wsl.datasets.synthetic.shapes import load_voc_instances
    if not img_ids:
        raise ValueError(f'voc_instances_to_coco: no image ids given for {voc_root!r}')
    records = []
    for img_id in img_ids:
        inst = load_voc_instances(voc_root, img_id, classes)
        records.append(dict(img_id=img_id, file_name=f'{img_id}{img_suffix}', height=inst['height'],
                            width=inst['width'], boxes=inst['boxes'], labels=inst['labels'], masks=inst['masks']))
    return instances_to_coco(records, classes, key='masks')


def write_voc_instances_coco(voc_root: str, split: str, out_file: str,
                             classes: Sequence[str] = VOC_CLASSES) -> dict:
    """Write :func:`voc_instances_to_coco` of a split (``ImageSets/.../<split>.txt``) to ``out_file``.

    The class list defaults to PASCAL VOC's 20 classes (:data:`VOC_CLASSES`).

    Returns:
        dict: ``out_file``, ``images``, ``instances``.
    """
    coco = voc_instances_to_coco(voc_root, read_split(voc_root, split), classes)
    write_json(coco, out_file)
    return dict(out_file=osp.abspath(out_file), images=len(coco['images']), instances=len(coco['annotations']))
