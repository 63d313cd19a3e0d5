"""Cambridge Landmarks for NeFeS.

Two layouts are read:

* ``'posenet'`` (the dataset as published): ``dataset_{train,test}.txt`` with a 3-line header, then lines
  ``seqN/frameNNNNN.png X Y Z W P Q R``: camera centre and the world-to-camera rotation as a
  quaternion (VisualSFM convention, OpenCV camera).
* ``'dsacstar'`` (the DSAC*-style conversion NeFeS trains on): ``{train,test}/rgb/*.png`` with
  ``{train,test}/poses/*.txt`` 4x4 camera-to-world matrices, paired after sorting.

NeFeS ignores per-image calibration: the focal is a constant 744 px at 480 px image height (trap T9).
"""
import glob
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
import torch

from wsl.registry import DATASETS
from .pose import quaternion_to_matrix
from .pose_dataset import NeFeSPoseDataset, PosedFrame, check_names_unique, read_matrix_file
from .scene_frames import flip_yz

CAMBRIDGE_FOCAL = 744.0  # px at 480 px image height
CAMBRIDGE_FOCAL_HEIGHT = 480.0
# The official loader removes two training frames of ShopFacade (DSAC* layout, indices after sorting).
CAMBRIDGE_DROPPED_TRAIN_FRAMES = {'ShopFacade': (35, 42)}
CAMBRIDGE_HEADER_LINES = 3


@DATASETS.register_module()
class CambridgeLandmarksNeFeSDataset(NeFeSPoseDataset):
    """Cambridge Landmarks in the NeFeS APR frame (see :class:`NeFeSPoseDataset` for the sample fields).

    Camera-to-world poses are re-centred, then conjugated by diag(1, -1, -1) (the official "rotate 180 deg
    about x, negate R, mirror the camera x axis" reduces to that).

    Args:
        layout (str): ``'posenet'`` or ``'dsacstar'``.
        drop_train_frames (Sequence[int] | None): training-frame indices (after sorting) to drop in the
            ``dsacstar`` layout; None uses the official choice ((35, 42) for ShopFacade).
        **kwargs: :class:`NeFeSPoseDataset` arguments.
    """

    def __init__(self, *args, layout: str = 'posenet', drop_train_frames: Optional[Sequence[int]] = None, **kwargs):
        if layout not in ('posenet', 'dsacstar'):
            raise ValueError(f'CambridgeLandmarksNeFeSDataset: layout must be posenet or dsacstar, got {layout!r}')
        self.layout, self.drop_train_frames = layout, drop_train_frames
        super().__init__(*args, **kwargs)

    def axis_fix(self, poses: np.ndarray) -> np.ndarray:
        return flip_yz(poses)

    def read_frames(self, split: str) -> List[PosedFrame]:
        return self._read_posenet(split) if self.layout == 'posenet' else self._read_dsacstar(split)

    def _read_posenet(self, split: str) -> List[PosedFrame]:
        path = self._path(f'dataset_{split}.txt')
        if not osp.isfile(path):
            raise FileNotFoundError(f'Cambridge Landmarks pose list not found: {path}')
        names, c2w = [], []
        with open(path, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                tokens = line.split()
                if not tokens:
                    continue
                try:
                    nums = [float(t) for t in tokens[1:]]
                except ValueError:
                    nums = []
                if len(tokens) != 8 or len(nums) != 7 or not np.isfinite(nums).all():
                    if lineno <= CAMBRIDGE_HEADER_LINES:
                        continue  # "Visual Landmark Dataset V1", "ImageFile, Camera Position [X Y Z W P Q R]"
                    raise ValueError(f'{path}:{lineno}: expected "image X Y Z W P Q R" (a path, the camera centre '
                                     f'and a w2c quaternion), got {line.strip()[:80]!r}')
                if np.linalg.norm(nums[3:]) < 1e-12:
                    raise ValueError(f'{path}:{lineno}: zero quaternion for {tokens[0]!r}')
                rot_w2c = quaternion_to_matrix(torch.tensor(nums[3:], dtype=torch.float64)).numpy()
                names.append(tokens[0])
                c2w.append(np.concatenate([rot_w2c.T, np.asarray(nums[:3])[:, None]], 1))
        check_names_unique(names, path)
        return [PosedFrame(n, self._path(n), c2w[i], CAMBRIDGE_FOCAL, CAMBRIDGE_FOCAL_HEIGHT)
                for i, n in enumerate(names)]

    def _read_dsacstar(self, split: str) -> List[PosedFrame]:
        imgs = sorted(glob.glob(self._path(split, 'rgb', '*.png')))
        poses = sorted(glob.glob(self._path(split, 'poses', '*.txt')))
        if split == 'train':
            drop = self.drop_train_frames
            if drop is None:
                drop = CAMBRIDGE_DROPPED_TRAIN_FRAMES.get(self.scene, ())
            drop = set(drop)
            imgs = [p for i, p in enumerate(imgs) if i not in drop]
            poses = [p for i, p in enumerate(poses) if i not in drop]
        if len(imgs) != len(poses):
            raise ValueError(f'Cambridge Landmarks ({self._path(split)}): {len(imgs)} images in rgb/ but '
                             f'{len(poses)} pose files in poses/')
        return [PosedFrame(osp.relpath(img, self.data_root), img, read_matrix_file(p)[:3], CAMBRIDGE_FOCAL,
                           CAMBRIDGE_FOCAL_HEIGHT) for img, p in zip(imgs, poses)]
