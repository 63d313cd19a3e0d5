"""Read the per-image BBAM map files written by ``tools/bbam_generate.py``.

Layout: ``<dir>/maps/<img_id>.npz`` with ``img_id`` (0-d str), ``img_path`` (0-d str, absolute), ``ori_shape``
(2,) int64 (H, W), ``boxes`` (N, 4) float32 GT boxes (x1, y1, x2, y2) in original pixels (MMDetection's VOC
loading: VOC values − 1), ``labels`` (N,) int64 0-based, ``maps`` (N, H, W) float16 in [0, 1],
``num_positives`` (N,) int64 (0: no positive proposal, the map is all zero), ``strides`` (N,) float32;
plus ``<dir>/maps/meta.json`` ``{"classes": [...], ...}``.
"""
import glob
import json
import os.path as osp
from typing import List

import cv2
import numpy as np

NPZ_KEYS = ('img_id', 'img_path', 'ori_shape', 'boxes', 'labels', 'maps', 'num_positives')


def resolve_maps_dir(path: str) -> str:
    """The folder holding the ``.npz`` files and ``meta.json``: ``path/maps`` if it exists, else ``path``."""
    for cand in (osp.join(path, 'maps'), path):
        if osp.isfile(osp.join(cand, 'meta.json')):
            return cand
    raise FileNotFoundError(f'BBAM maps: neither {osp.join(path, "maps", "meta.json")} nor '
                            f'{osp.join(path, "meta.json")} exists (expected the output of tools/bbam_generate.py)')


def load_meta(maps_dir: str) -> dict:
    """``meta.json`` of a maps folder; checks that it lists ``classes``."""
    path = osp.join(maps_dir, 'meta.json')
    try:
        with open(path) as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f'BBAM maps: cannot read {path} ({e})') from None
    if not isinstance(meta, dict) or not isinstance(meta.get('classes'), list) or not meta['classes']:
        raise ValueError(f'BBAM maps: {path} must be a JSON object with a non-empty "classes" list')
    return meta


def list_map_files(maps_dir: str) -> List[str]:
    """Sorted ``*.npz`` paths of a maps folder."""
    return sorted(glob.glob(osp.join(maps_dir, '*.npz')))


def load_bbam_npz(path: str, num_classes: int) -> dict:
    """Load and check one image's maps.

    Args:
        path (str): the ``.npz`` file.
        num_classes (int): C; labels must lie in [0, C).

    Returns:
        dict: ``img_id`` (str), ``img_path`` (str), ``ori_shape`` (H, W), ``boxes`` (N, 4) float64, ``labels``
        (N,) int64, ``maps`` (N, H, W) float32, ``num_positives`` (N,) int64.
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise ValueError(f'BBAM maps: cannot read {path} ({e})') from None
    missing = [k for k in NPZ_KEYS if k not in data]
    if missing:
        raise ValueError(f'BBAM maps: {path} lacks {missing}; expected keys {list(NPZ_KEYS)}')
    shape = tuple(int(v) for v in np.asarray(data['ori_shape']).reshape(-1))
    boxes = np.asarray(data['boxes'], dtype=np.float64)
    labels = np.asarray(data['labels'], dtype=np.int64).reshape(-1)
    maps = np.asarray(data['maps'], dtype=np.float32)
    npos = np.asarray(data['num_positives'], dtype=np.int64).reshape(-1)
    n = len(labels)
    if len(shape) != 2 or boxes.shape != (n, 4) or maps.shape != (n,) + shape or npos.shape != (n,):
        raise ValueError(f'BBAM maps: {path} has ori_shape {shape}, boxes {boxes.shape}, labels {labels.shape}, '
                         f'maps {maps.shape}, num_positives {npos.shape}; expected boxes (N, 4), maps (N, H, W) '
                         f'with (H, W) = ori_shape, num_positives (N,)')
    if n and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f'BBAM maps: {path} field labels holds {labels.tolist()}, expected 0..{num_classes - 1}')
    if not np.isfinite(maps).all():
        raise ValueError(f'BBAM maps: {path} field maps holds NaN or inf')
    maps = np.where(npos[:, None, None] > 0, maps, 0.0).astype(np.float32) if n else maps
    return dict(img_id=str(data['img_id']), img_path=str(data['img_path']), ori_shape=shape, boxes=boxes,
                labels=labels, maps=maps, num_positives=npos)


def read_image(path: str, shape=None) -> np.ndarray:
    """(H, W, 3) uint8 RGB image; checks its size against ``shape`` (H, W) when given."""
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f'BBAM maps: cannot read the image {path}')
    img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    if shape is not None and tuple(img.shape[:2]) != tuple(shape):
        raise ValueError(f'BBAM maps: image {path} is {img.shape[1]}x{img.shape[0]} but its maps record ori_shape '
                         f'(H, W) = {tuple(shape)}')
    return img
