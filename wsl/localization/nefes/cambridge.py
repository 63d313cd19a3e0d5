"""Cambridge Landmarks for NeFeS.

Two layouts are read:

* ``'posenet'`` (the dataset as published): ``dataset_{train,test}.txt`` with a 3-line header, then lines
  ``seqN/frameNNNNN.png X Y Z W P Q R``: camera centre and the world-to-camera rotation as a
  quaternion (VisualSFM convention, OpenCV camera).
* ``'dsacstar'`` (the DSAC*-style conversion NeFeS trains on): ``{train,test}/rgb/*.png`` with
  ``{train,test}/poses/*.txt`` 4x4 camera-to-world matrices, paired after sorting.

NeFeS ignores per-image calibration: the focal is a constant 744 px at 480 px image height (trap T9).

Transient masks (``mask_dir``): the authors ship Mask2Former masks of transient classes
(``Cambridge_semantic.zip``; the official ``data/setup_cambridge.py`` copies ``<Scene>_semantic_{train,test}/``
to ``<Scene>/{train,test}/semantic/``). One 8-bit grayscale PNG per image, named like the DSAC*-converted image
(``seq1_frame00001.png``: the PoseNet path with ``/`` replaced by ``_``), 255 = static, 0 = transient. The
official loader pairs masks and images by sorted order; here each image's mask is found by name
(``<split>/<mask_dir>/<image key stem><mask_suffix>``), which gives the same pairs and names a missing file.
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
        mask_dir (str | None): folder of transient masks inside ``<data_root>/<split>/`` (``'semantic'`` in the
            official layout); each sample then gets ``mask_path`` (read by :class:`~.transforms.LoadNeFeSMask`).
            None (default): no masks (``mask_path`` None, which LoadNeFeSMask passes through).
        mask_suffix (str): mask file name = image key stem + this (``'.png'``).
        **kwargs: :class:`NeFeSPoseDataset` arguments.
    """

    def __init__(self, *args, layout: str = 'posenet', drop_train_frames: Optional[Sequence[int]] = None,
                 mask_dir: Optional[str] = None, mask_suffix: str = '.png', **kwargs):
        if layout not in ('posenet', 'dsacstar'):
            raise ValueError(f'CambridgeLandmarksNeFeSDataset: layout must be posenet or dsacstar, got {layout!r}')
        self.layout, self.drop_train_frames = layout, drop_train_frames
        self.mask_dir, self.mask_suffix = mask_dir, mask_suffix
        super().__init__(*args, **kwargs)

    def mask_path(self, img_id: str) -> str:
        """Transient-mask file of a frame: ``<data_root>/<split>/<mask_dir>/<key stem><mask_suffix>``, the key being
        the DSAC*-style file name (``seq1/frame00001.png`` -> ``seq1_frame00001.png``)."""
        key = osp.basename(img_id) if self.layout == 'dsacstar' else img_id.replace('\\', '/').replace('/', '_')
        return self._path(self.split, self.mask_dir, osp.splitext(key)[0] + self.mask_suffix)

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        if self.mask_dir is None:  # masks switched off: LoadNeFeSMask passes these samples through
            for info in data_list:
                info['mask_path'] = None
            return data_list
        missing = []
        for info in data_list:
            info['mask_path'] = self.mask_path(info['img_id'])
            if not osp.isfile(info['mask_path']):
                missing.append(info['mask_path'])
        if missing:
            raise FileNotFoundError(f'Cambridge Landmarks: transient mask {missing[0]} (for image '
                                    f'{next(i["img_path"] for i in data_list if i["mask_path"] == missing[0])}) not '
                                    f'found; {len(missing)} of {len(data_list)} {self.split} masks missing. Expected '
                                    f'one <image name stem>{self.mask_suffix} per image in '
                                    f'{self._path(self.split, self.mask_dir)}, or set mask_dir=None to train '
                                    f'without masks')
        return data_list

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
