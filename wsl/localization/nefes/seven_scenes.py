"""Microsoft 7-Scenes for NeFeS, with dSLAM (KinectFusion) or SfM (COLMAP pseudo) ground truth.

Layout: ``<scene>/seq-XX/frame-NNNNNN.{color.png,pose.txt}`` plus ``TrainSplit.txt`` / ``TestSplit.txt``
(lines ``sequenceN``). dSLAM poses are 4x4 camera-to-world files; the fixed focal is 585 px at 480 px.
SfM pseudo ground truth (Brachmann et al., ICCV 2021) comes as ``<scene>_{train,test}.txt`` with lines
``seq-XX/frame-NNNNNN.color.png qw qx qy qz tx ty tz focal``: world-to-camera, OpenCV camera,
per-frame focal at 640x480.
"""
import glob
import os.path as osp
import re
from typing import List, Optional

import numpy as np
import torch

from wsl.registry import DATASETS
from .pose import quaternion_to_matrix
from .pose_dataset import NeFeSPoseDataset, PosedFrame, check_names_unique, read_matrix_file
from .scene_frames import flip_yz, opencv_w2c_to_opengl_c2w

SEVEN_SCENES_DSLAM_FOCAL = 585.0  # px at 640x480 (the dataset's published Kinect focal)
SEVEN_SCENES_HEIGHT = 480.0


@DATASETS.register_module()
class SevenScenesNeFeSDataset(NeFeSPoseDataset):
    """7-Scenes in the NeFeS APR frame (see :class:`NeFeSPoseDataset` for the sample fields).

    Frame conventions, as in the official loaders: dSLAM poses are re-centred, then conjugated by
    diag(1, -1, -1) (kept for consistency with the released models); SfM poses are converted
    world-to-camera OpenCV -> camera-to-world OpenGL, then re-centred.

    Args:
        gt (str): ``'dslam'`` or ``'sfm'``.
        sfm_pose_dir (str | None): folder with ``<scene>_train.txt`` / ``<scene>_test.txt`` (``gt='sfm'``).
        **kwargs: :class:`NeFeSPoseDataset` arguments (scene, data_root, split, img_height, frame_skip, ...).
    """

    def __init__(self, *args, gt: str = 'dslam', sfm_pose_dir: Optional[str] = None, **kwargs):
        if gt not in ('dslam', 'sfm'):
            raise ValueError(f'SevenScenesNeFeSDataset: gt must be dslam or sfm, got {gt!r}')
        if gt == 'sfm' and not sfm_pose_dir:
            raise ValueError('SevenScenesNeFeSDataset: gt=sfm needs sfm_pose_dir (folder of <scene>_{train,test}.txt)')
        self.gt, self.sfm_pose_dir = gt, sfm_pose_dir
        super().__init__(*args, **kwargs)

    def read_frames(self, split: str) -> List[PosedFrame]:
        return self._read_dslam(split) if self.gt == 'dslam' else self._read_sfm(split)

    def axis_fix(self, poses: np.ndarray) -> np.ndarray:
        return flip_yz(poses) if self.gt == 'dslam' else poses

    def _sequences(self, split: str) -> List[int]:
        path = self._path('TrainSplit.txt' if split == 'train' else 'TestSplit.txt')
        if not osp.isfile(path):
            raise FileNotFoundError(f'7-Scenes split file not found: {path}')
        seqs = []
        with open(path, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                m = re.fullmatch(r'sequence(\d+)', line.strip())
                if m is None:
                    raise ValueError(f'{path}:{lineno}: expected a line "sequenceN", got {line.strip()!r}')
                seqs.append(int(m.group(1)))
        return seqs

    def _read_dslam(self, split: str) -> List[PosedFrame]:
        frames = []
        for seq in self._sequences(split):
            seq_dir = self._path(f'seq-{seq:02d}')
            pose_files = sorted(glob.glob(osp.join(seq_dir, 'frame-*.pose.txt')))
            if not pose_files:
                raise FileNotFoundError(f'7-Scenes: no frame-*.pose.txt files in {seq_dir}')
            for pf in pose_files:
                img = pf[:-len('.pose.txt')] + '.color.png'
                name = osp.relpath(img, self.data_root)
                frames.append(PosedFrame(name, img, read_matrix_file(pf)[:3], SEVEN_SCENES_DSLAM_FOCAL,
                                         SEVEN_SCENES_HEIGHT))
        return frames

    def _read_sfm(self, split: str) -> List[PosedFrame]:
        path = osp.join(self.sfm_pose_dir, f'{self.scene}_{split}.txt')
        if not osp.isfile(path):
            raise FileNotFoundError(f'7-Scenes SfM pose file not found: {path}')
        names, w2c, focals = [], [], []
        with open(path, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                tokens = line.split()
                if not tokens:
                    continue
                try:
                    nums = [float(t) for t in tokens[1:]]
                except ValueError:
                    nums = []
                if len(tokens) != 9 or len(nums) != 8 or not np.isfinite(nums).all():
                    raise ValueError(f'{path}:{lineno}: expected "image qw qx qy qz tx ty tz focal" (a path and 8 '
                                     f'finite numbers), got {line.strip()[:80]!r}')
                if np.linalg.norm(nums[:4]) < 1e-12:
                    raise ValueError(f'{path}:{lineno}: zero quaternion for {tokens[0]!r}')
                rot = quaternion_to_matrix(torch.tensor(nums[:4], dtype=torch.float64)).numpy()
                names.append(tokens[0])
                w2c.append(np.concatenate([rot, np.asarray(nums[4:7])[:, None]], 1))
                focals.append(nums[7])
        check_names_unique(names, path)
        if not names:
            return []
        c2w = opencv_w2c_to_opengl_c2w(np.stack(w2c))
        return [PosedFrame(n, self._path(n), c2w[i], focals[i], SEVEN_SCENES_HEIGHT) for i, n in enumerate(names)]
