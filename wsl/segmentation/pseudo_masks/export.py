"""Write pseudo labels: COCO instance JSONs (RLE masks) and VOC-palette semantic class maps.

* Instances (spec §3.4): one COCO JSON per threshold (strict T_fg, loose T_loose), categories from the class
  list (id = class index + 1), ``bbox`` = the GT box as (x, y, w, h) with w = x2 − x1 + 1 (0-based inclusive
  pixel indices, as the official JSONs), ``segmentation`` = RLE from ``pycocotools.mask.encode`` (the official
  code writes polygons; RLE is lossless and loads the same way), ``area`` = mask pixels, ``iscrowd`` 0. The
  two JSONs hold the same annotations with the same ids in the same order, so strict and loose pair by id.
  Image ids are ``int(name without '_')`` (2007_000032 → 2007000032, as the official JSONs) when every name is
  numeric and the ids are unique, else 1..N in name order.
* Semantic labels (spec §3.6, ``create_semantic_labels.py``): background 0, class index + 1 where exactly one
  class claims a pixel, 255 where two different classes do; an instance whose box lies inside another
  (different) box writes its class back over its strict mask (boxes visited by decreasing area, so nested
  small objects win); finally every pixel in some instance's loose mask but not in its strict mask is 255.
  The PNG is 'P' mode with the VOC palette.
"""
import json
import os
import os.path as osp
from typing import List, Sequence

import numpy as np
from PIL import Image

IGNORE_INDEX = 255


def encode_rle(mask: np.ndarray) -> dict:
    """COCO RLE of an (H, W) bool mask with ``counts`` as str (JSON-serialisable)."""
    from pycocotools import mask as mask_utils
    rle = mask_utils.encode(np.asfortranarray(np.asarray(mask, dtype=np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')
    return rle


def decode_rle(rle: dict) -> np.ndarray:
    """Inverse of :func:`encode_rle`: (H, W) bool."""
    from pycocotools import mask as mask_utils
    rle = dict(rle)
    if isinstance(rle['counts'], str):
        rle['counts'] = rle['counts'].encode('ascii')
    return mask_utils.decode(rle).astype(bool)


def coco_image_ids(names: Sequence[str]) -> List[int]:
    """Integer COCO ids for image names: ``int(name.replace('_', ''))`` if all numeric and unique, else 1..N."""
    stripped = [n.replace('_', '') for n in names]
    if stripped and all(s.isdigit() for s in stripped) and len({int(s) for s in stripped}) == len(names):
        return [int(s) for s in stripped]
    order = {n: i + 1 for i, n in enumerate(sorted(names))}
    return [order[n] for n in names]


def xywh_inclusive(box: Sequence[float]) -> List[float]:
    """(x1, y1, x2, y2) 0-based inclusive → COCO (x, y, w, h) with w = x2 − x1 + 1."""
    x1, y1, x2, y2 = (float(v) for v in box)
    return [x1, y1, x2 - x1 + 1.0, y2 - y1 + 1.0]


def instances_to_coco(records: Sequence[dict], classes: Sequence[str], key: str = 'strict') -> dict:
    """A COCO instance-segmentation dict of pseudo masks.

    Args:
        records (Sequence[dict]): per image: ``img_id`` (str), ``file_name`` (str), ``height``, ``width`` (int),
            ``boxes`` (N, 4) (x1, y1, x2, y2) 0-based inclusive, ``labels`` (N,) 0-based class indices, and
            ``key`` → either (N, H, W) bool masks or a list of N RLE dicts.
        classes (Sequence[str]): class names (category id = index + 1).
        key (str): which masks to write ('strict' or 'loose').

    Returns:
        dict: ``images``, ``annotations``, ``categories`` (pycocotools ``COCO`` loads it).
    """
    from pycocotools import mask as mask_utils
    ids = coco_image_ids([r['img_id'] for r in records])
    images, anns = [], []
    for img_num, rec in zip(ids, records):
        images.append(dict(id=img_num, file_name=rec['file_name'], height=int(rec['height']),
                           width=int(rec['width'])))
        labels = np.asarray(rec['labels']).reshape(-1)
        boxes = np.asarray(rec['boxes'], dtype=np.float64).reshape(-1, 4)
        masks = rec[key]
        if len(masks) != len(labels) or len(boxes) != len(labels):
            raise ValueError(f"instances_to_coco: image {rec['img_id']!r} has {len(boxes)} boxes, {len(labels)} "
                             f"labels and {len(masks)} {key} masks; expected one mask per box")
        for box, label, m in zip(boxes, labels, masks):
            if not 0 <= int(label) < len(classes):
                raise ValueError(f"instances_to_coco: image {rec['img_id']!r} has label {int(label)}, expected "
                                 f'0..{len(classes) - 1} (classes {list(classes)})')
            rle = m if isinstance(m, dict) else encode_rle(m)
            area = float(mask_utils.area(dict(rle, counts=rle['counts'].encode('ascii'))))
            anns.append(dict(id=len(anns) + 1, image_id=img_num, category_id=int(label) + 1, segmentation=rle,
                             area=area, bbox=xywh_inclusive(box), iscrowd=0))
    cats = [dict(id=i + 1, name=str(n), supercategory='none') for i, n in enumerate(classes)]
    return dict(images=images, annotations=anns, categories=cats)


def _box_inside_other(i: int, boxes: np.ndarray) -> bool:
    b = boxes[i]
    for j, o in enumerate(boxes):
        if j != i and not np.array_equal(o, b) and o[0] <= b[0] and o[1] <= b[1] and o[2] >= b[2] and o[3] >= b[3]:
            return True
    return False


def semantic_label_map(strict: np.ndarray, loose: np.ndarray, boxes: np.ndarray, labels: np.ndarray,
                       ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Class map of one image from its instances' strict and loose masks (spec §3.6).

    Args:
        strict (np.ndarray): (N, H, W) bool strict masks.
        loose (np.ndarray): (N, H, W) bool loose masks.
        boxes (np.ndarray): (N, 4) (x1, y1, x2, y2).
        labels (np.ndarray): (N,) 0-based class indices (written as index + 1).
        ignore_index (int): value of ignored pixels.

    Returns:
        np.ndarray: (H, W) uint8; 0 background, c + 1 class c, ``ignore_index`` ignored.
    """
    strict, loose = np.asarray(strict, dtype=bool), np.asarray(loose, dtype=bool)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if strict.ndim != 3 or strict.shape != loose.shape or len(boxes) != len(strict) or len(labels) != len(strict):
        raise ValueError(f'semantic_label_map: expected (N, H, W) strict/loose masks and N boxes/labels, got '
                         f'{strict.shape}, {loose.shape}, {boxes.shape}, {labels.shape}')
    if len(labels) and (labels.min() < 0 or labels.max() + 1 >= ignore_index):
        raise ValueError(f'semantic_label_map: labels must lie in [0, {ignore_index - 2}], got {labels.tolist()}')
    out = np.zeros(strict.shape[1:], dtype=np.uint8)
    if not len(labels):
        return out
    claims = np.zeros(strict.shape[1:], dtype=np.int64)
    for c in np.unique(labels):
        on = strict[labels == c].any(0)
        out[on] = c + 1
        claims += on
    out[claims > 1] = ignore_index
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    for i in np.argsort(-areas, kind='stable'):
        if _box_inside_other(i, boxes):
            out[strict[i]] = labels[i] + 1
    out[(loose & ~strict).any(0)] = ignore_index
    return out


def save_label_png(label_map: np.ndarray, path: str) -> None:
    """Save an (H, W) uint8 class map as a 'P'-mode PNG with the VOC palette."""
    from wsl.datasets.synthetic.shapes import voc_palette
    label_map = np.asarray(label_map)
    if label_map.ndim != 2 or label_map.dtype != np.uint8:
        raise ValueError(f'save_label_png: expected an (H, W) uint8 map, got {label_map.shape} {label_map.dtype}')
    im = Image.fromarray(label_map)  # 'L'; putpalette turns it into 'P'
    im.putpalette(voc_palette().ravel().tolist())
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    im.save(path)


def write_json(obj: dict, path: str) -> None:
    """Write JSON atomically (temp file + rename)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f)
    os.replace(tmp, path)
