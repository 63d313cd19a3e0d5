"""Shared base of the NeFeS posed-image datasets (7-Scenes, Cambridge Landmarks)."""
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np
from mmengine.dataset import BaseDataset
from PIL import Image

from .scene_frames import NEFES_SCENE_SETUPS, NeFeSSceneSetup, average_pose, load_pose_avg, recenter_poses

SPLITS = ('train', 'test')


@dataclass
class PosedFrame:
    """One frame as read from disk: name, image path, dataset-frame c2w pose and its focal reference.

    ``focal`` is in pixels for an image ``focal_height`` pixels high (scaled to the loaded size later).
    """
    name: str
    img_path: str
    c2w: np.ndarray
    focal: float
    focal_height: float


def read_matrix_file(path: str, rows: int = 4, cols: int = 4) -> np.ndarray:
    """Read a whitespace-separated ``rows`` x ``cols`` matrix file, with a clear error otherwise."""
    try:
        mat = np.loadtxt(path, dtype=np.float64, ndmin=2)
    except (ValueError, IndexError) as err:
        raise ValueError(f'{path}: expected a {rows}x{cols} matrix ({rows} lines of {cols} numbers): {err}') from None
    if mat.shape != (rows, cols):
        raise ValueError(f'{path}: expected a {rows}x{cols} matrix ({rows} lines of {cols} numbers), got shape '
                         f'{mat.shape}')
    if not np.isfinite(mat).all():
        raise ValueError(f'{path}: the {rows}x{cols} pose matrix has non-finite entries')
    if rows == 4 and not np.allclose(mat[3], [0, 0, 0, 1], atol=1e-4):
        raise ValueError(f'{path}: the last row of a 4x4 camera-to-world pose must be 0 0 0 1, got {mat[3].tolist()}')
    return mat


class NeFeSPoseDataset(BaseDataset):
    """Posed images in the NeFeS APR frame, with NeRF-frame poses and intrinsics for rendering.

    Each sample's info: ``img_path``, ``img_id`` (frame name), ``pose`` (3, 4) float32 camera-to-world in
    the APR frame (OpenGL camera, re-centred on the training cameras' average pose), ``pose_nerf``
    (3, 4) the same in the NeRF frame, ``img_shape`` (h, w) of the loaded image, ``focal`` in pixels at
    that size (principal point at the image centre), ``near`` / ``far`` (NeRF units).

    Args:
        scene (str): scene name (selects the default :class:`NeFeSSceneSetup`).
        data_root (str): the scene's folder.
        split (str): ``'train'`` or ``'test'``.
        img_height (int): loaded image height (240 = NeFeS's df 2); width keeps the aspect ratio.
        frame_skip (int): keep every k-th frame (NeFeS trains on every 2nd frame of most 7-Scenes scenes).
        pose_avg_file (str | None): a stored ``pose_avg_stats*.txt`` (3x4) to re-centre with; None
            computes the average pose from this scene's training frames.
        scene_setup (dict | None): near/far/scaling overriding the built-in per-scene constants.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments (pipeline, test_mode, indices, ...).
    """

    def __init__(self, scene: str, data_root: str, split: str = 'train', img_height: int = 240, frame_skip: int = 1,
                 pose_avg_file: Optional[str] = None, scene_setup: Optional[dict] = None, **kwargs):
        if split not in SPLITS:
            raise ValueError(f'{type(self).__name__}: split must be one of {SPLITS}, got {split!r}')
        if frame_skip < 1 or img_height < 1:
            raise ValueError(f'{type(self).__name__}: frame_skip and img_height must be >= 1')
        if scene_setup is None and scene not in NEFES_SCENE_SETUPS:
            raise ValueError(f'{type(self).__name__}: no built-in near/far/scale for scene {scene!r}; pass scene_setup='
                             f'dict(near=..., far=..., pose_scale=..., move_all_cam_vec=..., pose_scale2=...)')
        self.scene, self.split, self.img_height, self.frame_skip = scene, split, img_height, frame_skip
        self.pose_avg_file = pose_avg_file
        self.scene_setup = NeFeSSceneSetup(**scene_setup) if scene_setup is not None else NEFES_SCENE_SETUPS[scene]
        kwargs.setdefault('test_mode', split == 'test')
        super().__init__(data_root=data_root, **kwargs)

    # --- to be provided by each dataset --------------------------------------------------------
    def read_frames(self, split: str) -> List[PosedFrame]:
        """All frames of a split, in the dataset frame, sorted."""
        raise NotImplementedError

    def axis_fix(self, poses: np.ndarray) -> np.ndarray:
        """Dataset-specific axis change applied after re-centring (identity by default)."""
        return poses

    # --- shared ---------------------------------------------------------------------------------
    def load_data_list(self) -> List[dict]:
        frames = self.read_frames(self.split)
        if not frames:
            raise ValueError(f'{type(self).__name__}: no {self.split} frames found under {self.data_root}')
        if self.pose_avg_file is not None:
            pose_avg = load_pose_avg(self.pose_avg_file)
        else:
            train = frames if self.split == 'train' else self.read_frames('train')
            if not train:
                raise ValueError(f'{type(self).__name__}: no training frames under {self.data_root} to compute '
                                 f'the average pose from; pass pose_avg_file')
            pose_avg = average_pose(np.stack([f.c2w for f in train]))
        frames = frames[::self.frame_skip]
        apr = self.axis_fix(recenter_poses(np.stack([f.c2w for f in frames]), pose_avg))
        nerf = self.scene_setup.to_nerf(apr)
        height, width = self._image_size(frames[0].img_path)
        self._metainfo.update(scene=self.scene, pose_avg=pose_avg, near=self.scene_setup.near,
                              far=self.scene_setup.far, img_shape=(height, width))
        return [
            dict(img_path=f.img_path, img_id=f.name, pose=apr[i].astype(np.float32),
                 pose_nerf=nerf[i].astype(np.float32), img_shape=(height, width),
                 focal=float(f.focal * height / f.focal_height), near=float(self.scene_setup.near),
                 far=float(self.scene_setup.far)) for i, f in enumerate(frames)
        ]

    def _image_size(self, path: str):
        """(h, w) of the loaded images: ``img_height`` and the aspect ratio of the first image."""
        try:
            with Image.open(path) as img:
                w0, h0 = img.size
        except OSError as err:
            raise ValueError(f'{type(self).__name__}: cannot read image {path}: {err}') from None
        return self.img_height, int(round(w0 * self.img_height / h0))

    def _path(self, *parts: str) -> str:
        return osp.join(self.data_root, *parts)


def check_names_unique(names: Sequence[str], source: str) -> None:
    """Raise if a pose list names one frame twice."""
    seen = set()
    for n in names:
        if n in seen:
            raise ValueError(f'{source}: frame {n!r} is listed twice')
        seen.add(n)
