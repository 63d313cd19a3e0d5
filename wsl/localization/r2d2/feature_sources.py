"""Reading local features for localization from either layout :mod:`.feature_files` writes.

* a folder with one ``<image name>.npz`` per image (``keypoints`` (N, >=2), ``descriptors`` (N, D), ...);
* an HDF5 file in the hloc layout: a group per image name with ``keypoints`` (N, 2) and ``descriptors``
  (D, N) (transposed, as hloc stores them).

Keypoints are pixel indices (centres at integers) in both.
"""
import os.path as osp
from typing import Callable, Dict

import numpy as np

from .feature_files import npz_feature_loader


def h5_feature_loader(path: str) -> Callable[[str], Dict[str, np.ndarray]]:
    """``name -> dict(keypoints (N, 2), descriptors (N, D), scores (N,) when stored)`` from an hloc-layout file.

    The file is opened per call (cheap, and safe with forked workers).
    """
    try:
        import h5py
    except ImportError:
        raise ImportError('reading HDF5 features needs h5py (pip install h5py)') from None
    if not osp.isfile(path):
        raise FileNotFoundError(f'feature file not found: {path}')

    def load(name: str) -> Dict[str, np.ndarray]:
        with h5py.File(path, 'r') as f:
            if name not in f:
                raise KeyError(f'{path}: no features for image {name!r}')
            grp = f[name]
            missing = [k for k in ('keypoints', 'descriptors') if k not in grp]
            if missing:
                raise ValueError(f'{path}: group {name!r} lacks {missing}')
            out = dict(keypoints=grp['keypoints'][()], descriptors=grp['descriptors'][()].T)
            if 'scores' in grp:
                out['scores'] = grp['scores'][()]
        if out['keypoints'].ndim != 2 or len(out['keypoints']) != len(out['descriptors']):
            raise ValueError(f'{path}: group {name!r} has keypoints {out["keypoints"].shape} but descriptors '
                             f'{out["descriptors"].T.shape} (expected (D, N))')
        return out

    return load


def open_feature_loader(path: str) -> Callable[[str], Dict[str, np.ndarray]]:
    """A loader for a features folder (``.npz`` per image) or an HDF5 file (``.h5`` / ``.hdf5``)."""
    if osp.isdir(path):
        return npz_feature_loader(path)
    if path.lower().endswith(('.h5', '.hdf5')):
        return h5_feature_loader(path)
    raise ValueError(f'features must be a folder of <image>.npz files or an .h5/.hdf5 file, got {path}')
