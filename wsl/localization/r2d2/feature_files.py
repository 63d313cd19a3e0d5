"""Writing and reading extracted local features, and extracting a whole folder of images.

Formats:
* one ``<relative image path>.npz`` per image with ``keypoints`` (N, 3) float32 as (x, y, scale),
  ``scores`` (N,) float32, ``descriptors`` (N, D) float32 and ``image_size`` (2,) as (W, H);
* optionally one HDF5 file in the layout hloc-style localization pipelines read: a group per image
  (named by its relative path) with ``keypoints`` (N, 2) float32, ``scales`` (N,), ``scores`` (N,),
  ``descriptors`` (D, N) (transposed, as hloc stores them) and ``image_size`` (2,) as (W, H).
Keypoint coordinates are pixel indices of the original image (pixel centres at integers); add 0.5
for COLMAP's convention.
"""
import os
import os.path as osp
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
from torch import Tensor

from .extract import R2D2_EXTRACT_DEFAULTS, extract_multiscale, normalize_rgb

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.pgm', '.bmp', '.tif', '.tiff', '.webp')
NPZ_KEYS = ('keypoints', 'scores', 'descriptors', 'image_size')


def list_images(image_dir: str) -> List[str]:
    """Image paths under ``image_dir`` (recursive), relative to it, sorted."""
    if not osp.isdir(image_dir):
        raise FileNotFoundError(f'image folder not found: {image_dir}')
    found = []
    for root, _, files in os.walk(image_dir):
        found += [osp.relpath(osp.join(root, f), image_dir) for f in files if f.lower().endswith(IMAGE_EXTENSIONS)]
    return sorted(found)


def load_rgb(path: str) -> np.ndarray:
    """Read an image as an (H, W, 3) uint8 RGB array (grey images are replicated)."""
    from PIL import Image
    with Image.open(path) as im:
        return np.asarray(im.convert('RGB'))


def save_features_npz(path: str, feats: Dict[str, Tensor], image_size: tuple) -> None:
    """Save ``feats`` (keypoints (N, 3), scores (N,), descriptors (N, D)) and ``image_size`` (W, H)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    arrays = {k: feats[k].detach().cpu().numpy().astype(np.float32) for k in ('keypoints', 'scores', 'descriptors')}
    np.savez(path, image_size=np.asarray(image_size, dtype=np.int64), **arrays)


def load_features_npz(path: str) -> Dict[str, np.ndarray]:
    """Read a feature ``.npz``; raises if a field is missing or the shapes disagree."""
    with np.load(path) as z:
        missing = [k for k in NPZ_KEYS if k not in z.files]
        if missing:
            raise ValueError(f'{path}: missing fields {missing}; expected {NPZ_KEYS}')
        out = {k: z[k] for k in NPZ_KEYS}
    n = len(out['keypoints'])
    if out['keypoints'].ndim != 2 or out['keypoints'].shape[1] < 2 or len(out['scores']) != n \
            or len(out['descriptors']) != n:
        raise ValueError(f'{path}: inconsistent shapes keypoints {out["keypoints"].shape}, scores '
                         f'{out["scores"].shape}, descriptors {out["descriptors"].shape}')
    return out


def write_features_h5(h5_file, name: str, feats: Dict[str, Tensor], image_size: tuple) -> None:
    """Write one image's features into an open ``h5py.File`` (hloc-style layout, see module doc)."""
    if name in h5_file:
        del h5_file[name]
    grp = h5_file.create_group(name)
    kps = feats['keypoints'].detach().cpu().numpy().astype(np.float32)
    grp.create_dataset('keypoints', data=kps[:, :2])
    grp.create_dataset('scales', data=kps[:, 2])
    grp.create_dataset('scores', data=feats['scores'].detach().cpu().numpy().astype(np.float32))
    grp.create_dataset('descriptors', data=feats['descriptors'].detach().cpu().numpy().astype(np.float32).T)
    grp.create_dataset('image_size', data=np.asarray(image_size, dtype=np.int64))


def extract_folder(net: Callable[[Tensor], Dict[str, Tensor]], image_dir: str, out_dir: str,
                   h5_path: Optional[str] = None, device: Optional[torch.device] = None,
                   log: Optional[Callable[[str], None]] = None, **extract_cfg) -> List[str]:
    """Extract features of every image under ``image_dir`` into ``out_dir`` (and ``h5_path``).

    Args:
        net: maps a (1, 3, H, W) normalised image to descriptor/reliability/repeatability maps.
        extract_cfg: overrides of :data:`R2D2_EXTRACT_DEFAULTS` (top_k, min_size, ...).

    Returns:
        list: the written ``.npz`` paths.
    """
    unknown = set(extract_cfg) - set(R2D2_EXTRACT_DEFAULTS)
    if unknown:
        raise ValueError(f'unknown extraction settings {sorted(unknown)}; known: {sorted(R2D2_EXTRACT_DEFAULTS)}')
    cfg = {**R2D2_EXTRACT_DEFAULTS, **extract_cfg}
    names = list_images(image_dir)
    if not names:
        raise FileNotFoundError(f'no images ({", ".join(IMAGE_EXTENSIONS)}) under {image_dir}')
    h5 = None
    if h5_path is not None:
        try:
            import h5py
        except ImportError:
            raise ImportError('writing HDF5 features needs h5py (pip install h5py); the .npz files need nothing') \
                from None
        os.makedirs(osp.dirname(osp.abspath(h5_path)), exist_ok=True)
        h5 = h5py.File(h5_path, 'a')
    written = []
    try:
        for name in names:
            rgb = load_rgb(osp.join(image_dir, name))
            feats = extract_multiscale(net, normalize_rgb(rgb, device), **cfg)
            size = (rgb.shape[1], rgb.shape[0])
            out = osp.join(out_dir, name + '.npz')
            save_features_npz(out, feats, size)
            if h5 is not None:
                write_features_h5(h5, name, feats, size)
            written.append(out)
            if log is not None:
                log(f'{name}: {len(feats["scores"])} keypoints')
    finally:
        if h5 is not None:
            h5.close()
    return written


def npz_feature_loader(feature_dir: str) -> Callable[[str], Dict[str, np.ndarray]]:
    """``name -> load_features_npz(feature_dir/name.npz)``, the naming :func:`extract_folder` writes."""

    def load(name: str) -> Dict[str, np.ndarray]:
        return load_features_npz(osp.join(feature_dir, name + '.npz'))

    return load
