"""NeFeS coordinate frames: dataset frame -> APR frame (re-centred, OpenGL) -> NeRF frame (rescaled).

* The APR frame is the dataset frame left-multiplied by the inverse of an "average pose" of the
  training cameras, plus a per-dataset axis fix. All pose errors are measured there (it is rigid, so
  metric errors are unchanged).
* The NeRF frame rescales/shifts translations only: ``t_nerf = (t_apr * s + m) * s2``.

Poses are (N, 3, 4) camera-to-world numpy arrays unless stated.
"""
from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np
import torch

# diag(1, -1, -1): rotation by 180 deg about x. Conjugating by it is the axis fix NeFeS applies to 7-Scenes
# dSLAM poses (flip y, z of world and camera) and, written differently (rotate 180 deg about x, negate R,
# mirror the camera x axis), to Cambridge poses: both reduce to R' = D R D, t' = D t.
FLIP_YZ = np.diag([1.0, -1.0, -1.0])


@dataclass(frozen=True)
class NeFeSSceneSetup:
    """Per-scene NeRF-frame constants (the authors' hand-tuned ``world_setup.json``).

    Attributes:
        near (float): near bound in NeRF units.
        far (float): far bound in NeRF units.
        pose_scale (float): s.
        move_all_cam_vec (tuple): m, a shift added after scaling.
        pose_scale2 (float): s2, a second scale applied last.
    """
    near: float
    far: float
    pose_scale: float = 1.0
    move_all_cam_vec: Tuple[float, float, float] = (0.0, 0.0, 0.0)
    pose_scale2: float = 1.0

    def _with_translation(self, pose, t):
        if isinstance(pose, torch.Tensor):
            return torch.cat([pose[..., :3], t[..., None]], dim=-1)
        return np.concatenate([pose[..., :3], t[..., None]], axis=-1)

    def _shift(self, pose):
        if isinstance(pose, torch.Tensor):
            return pose.new_tensor(self.move_all_cam_vec)
        return np.asarray(self.move_all_cam_vec, dtype=np.asarray(pose).dtype)

    def to_nerf(self, pose):
        """APR-frame c2w poses (..., 3, 4) (numpy or torch, differentiable) to the NeRF frame."""
        return self._with_translation(pose, (pose[..., 3] * self.pose_scale + self._shift(pose)) * self.pose_scale2)

    def to_apr(self, pose):
        """Inverse of :meth:`to_nerf`."""
        return self._with_translation(pose, (pose[..., 3] / self.pose_scale2 - self._shift(pose)) / self.pose_scale)


NEFES_SCENE_SETUPS: Dict[str, NeFeSSceneSetup] = {
    'chess': NeFeSSceneSetup(0, 2, 0.5, (0, 0, 1), 1),
    'fire': NeFeSSceneSetup(0, 3, 1, (0, 0, 1), 1),
    'heads': NeFeSSceneSetup(0, 2.5, 1, (0, 0, 1), 1),
    'office': NeFeSSceneSetup(0, 2, 0.5, (0, 0, 0.5), 1),
    'pumpkin': NeFeSSceneSetup(0, 2.5, 0.5, (0, 0, 1), 1),
    'redkitchen': NeFeSSceneSetup(0, 2, 0.5, (0, 0, 0.5), 1),
    'stairs': NeFeSSceneSetup(0, 4, 1, (0, 0, 0), 1),
    'KingsCollege': NeFeSSceneSetup(0, 10, 0.3027, (0, 0, 0), 0.2),
    'OldHospital': NeFeSSceneSetup(0, 10, 0.3027, (0, 0, 5), 0.2),
    'StMarysChurch': NeFeSSceneSetup(0, 10, 0.3027, (0, 0, 0), 0.2),
    'GreatCourt': NeFeSSceneSetup(0, 10, 0.3027, (0, 0, 0), 0.2),
    'ShopFacade': NeFeSSceneSetup(0, 20, 0.3027, (0, 0, 2.5), 0.32),
}


def _normalize(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v)
    if n < 1e-12:
        raise ValueError('average_pose: degenerate camera axes (they cancel out on average)')
    return v / n


def average_pose(poses: np.ndarray) -> np.ndarray:
    """NeFeS/LLFF average pose of (N, 3, 4) c2w poses.

    Centre = mean camera centre; z = normalised mean z-axis; y' = mean y-axis; x = normalise(y' x z);
    y = z x x.

    Returns:
        np.ndarray: (3, 4) average pose (a proper rotation and the mean centre).
    """
    poses = _check_poses(poses)
    z = _normalize(poses[:, :, 2].mean(0))
    x = _normalize(np.cross(poses[:, :, 1].mean(0), z))
    return np.stack([x, np.cross(z, x), z, poses[:, :, 3].mean(0)], axis=1)


def recenter_poses(poses: np.ndarray, pose_avg: np.ndarray) -> np.ndarray:
    """Left-multiply (N, 3, 4) c2w poses by the inverse of the (3, 4) average pose."""
    poses, pose_avg = _check_poses(poses), np.asarray(pose_avg, dtype=np.float64)
    if pose_avg.shape != (3, 4):
        raise ValueError(f'recenter_poses: average pose must be (3, 4), got {pose_avg.shape}')
    rot_t = pose_avg[:, :3].T
    return np.concatenate([rot_t @ poses[:, :, :3], (rot_t @ (poses[:, :, 3] - pose_avg[:, 3]).T).T[..., None]], -1)


def flip_yz(poses: np.ndarray) -> np.ndarray:
    """Conjugate (N, 3, 4) poses by diag(1, -1, -1): R' = D R D, t' = D t."""
    poses = _check_poses(poses)
    return np.concatenate([FLIP_YZ @ poses[:, :, :3] @ FLIP_YZ, (poses[:, :, 3] @ FLIP_YZ)[..., None]], -1)


def opencv_w2c_to_opengl_c2w(w2c: np.ndarray) -> np.ndarray:
    """World-to-camera OpenCV poses (x right, y down, z forward) to camera-to-world OpenGL poses.

    Negates the y and z rows of [R | t] (the camera axes), then inverts.
    """
    w2c = _check_poses(w2c)
    gl = np.concatenate([FLIP_YZ @ w2c[:, :, :3], (w2c[:, :, 3] @ FLIP_YZ)[..., None]], -1)
    rot_t = gl[:, :, :3].transpose(0, 2, 1)
    return np.concatenate([rot_t, -(rot_t @ gl[:, :, 3:])], -1)


def _check_poses(poses) -> np.ndarray:
    poses = np.asarray(poses, dtype=np.float64)
    if poses.ndim != 3 or poses.shape[1:] != (3, 4):
        raise ValueError(f'expected (N, 3, 4) poses, got shape {poses.shape}')
    return poses


def load_pose_avg(path: str) -> np.ndarray:
    """Read a ``pose_avg_stats*.txt`` file (3 rows of 4 numbers) with a clear error otherwise."""
    try:
        mat = np.loadtxt(path, dtype=np.float64, ndmin=2)
    except ValueError as err:
        raise ValueError(f'{path}: expected a 3x4 average pose (3 lines of 4 numbers): {err}') from None
    if mat.shape != (3, 4) or not np.isfinite(mat).all():
        raise ValueError(f'{path}: expected a 3x4 average pose (3 lines of 4 finite numbers), got shape {mat.shape}')
    return mat
