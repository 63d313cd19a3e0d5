"""Absolute pose errors: translation (m) and rotation (deg), with per-scene medians.

Rotation errors are measured on predictions projected onto SO(3) first (NeFeS trap T1): a regressed
or refined rotation that is off-orthonormal by ~1e-3 inflates ``arccos((tr - 1) / 2)`` by tenths of
a degree (e.g. chess 0.57 deg -> 0.77 deg on the released NeFeS poses).
"""
from typing import Dict, Sequence, Tuple

import numpy as np
import torch

from .pose import project_to_so3, rotation_angle
from .pose_io import match_pose_files, read_pose_file

# Accuracy thresholds reported by the official eval script, (metres, degrees).
POSE_THRESHOLDS = ((5.0, 10.0), (0.5, 5.0), (0.25, 2.0), (0.1, 5.0), (0.05, 5.0), (0.02, 2.0), (0.01, 1.0))
CONVENTIONS = ('c2w', 'w2c')


def camera_centres(poses, convention: str = 'c2w') -> torch.Tensor:
    """Camera centres in world coordinates.

    Args:
        poses (array-like): (N, 3, 4) ``[R | t]``.
        convention (str): ``'c2w'`` (centre = t) or ``'w2c'`` (centre = -R^T t, R projected first).

    Returns:
        Tensor: (N, 3) float64.
    """
    poses = torch.as_tensor(np.asarray(poses), dtype=torch.float64)
    if convention == 'c2w':
        return poses[..., 3]
    if convention == 'w2c':
        rot = project_to_so3(poses[..., :3])
        return -(rot.transpose(-1, -2) @ poses[..., 3:])[..., 0]
    raise ValueError(f'convention must be one of {CONVENTIONS}, got {convention!r}')


def pose_errors(pred, gt, convention: str = 'c2w', project: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """Per-frame translation and rotation errors.

    Args:
        pred (array-like): (N, 3, 4) predicted poses.
        gt (array-like): (N, 3, 4) ground-truth poses, same convention.
        convention (str): ``'c2w'`` or ``'w2c'``; the rotation error does not depend on it.
        project (bool): project both rotations onto SO(3) before measuring (keep True; False only
            shows the size of trap T1 and then uses the plain trace formula).

    Returns:
        tuple: translation errors (N,) in pose units (metres) and rotation errors (N,) in degrees.
    """
    pred_t = torch.as_tensor(np.asarray(pred), dtype=torch.float64)
    gt_t = torch.as_tensor(np.asarray(gt), dtype=torch.float64)
    if pred_t.shape != gt_t.shape or pred_t.ndim != 3 or pred_t.shape[1:] != (3, 4):
        raise ValueError(f'pose_errors: pred and gt must both be (N, 3, 4), got {tuple(pred_t.shape)} '
                         f'and {tuple(gt_t.shape)}')
    t_err = (camera_centres(pred_t, convention) - camera_centres(gt_t, convention)).norm(dim=-1)
    if project:
        rel = project_to_so3(pred_t[..., :3]) @ project_to_so3(gt_t[..., :3]).transpose(-1, -2)
        r_err = rotation_angle(rel)
    else:
        rel = pred_t[..., :3] @ gt_t[..., :3].transpose(-1, -2)
        cos = (rel.diagonal(dim1=-2, dim2=-1).sum(-1) - 1) / 2
        r_err = torch.arccos(cos.clamp(-1, 1))
    return t_err.numpy(), torch.rad2deg(r_err).numpy()


def summarize_pose_errors(t_err, r_err) -> Dict[str, float]:
    """Median / mean errors and accuracy at the standard thresholds.

    Args:
        t_err (array-like): (N,) translation errors (m).
        r_err (array-like): (N,) rotation errors (deg).

    Returns:
        dict: ``median_translation_m``, ``median_rotation_deg``, ``mean_translation_m``,
        ``mean_rotation_deg``, ``num_frames`` and ``acc_{cm}cm_{deg}deg`` fractions in [0, 1].
    """
    t_err, r_err = np.asarray(t_err, dtype=np.float64), np.asarray(r_err, dtype=np.float64)
    if t_err.shape != r_err.shape or t_err.ndim != 1 or len(t_err) == 0:
        raise ValueError(f'summarize_pose_errors: need two non-empty (N,) arrays, got {t_err.shape}, {r_err.shape}')
    out = dict(median_translation_m=float(np.median(t_err)), median_rotation_deg=float(np.median(r_err)),
               mean_translation_m=float(t_err.mean()), mean_rotation_deg=float(r_err.mean()),
               num_frames=int(len(t_err)))
    for metres, degrees in POSE_THRESHOLDS:
        key = f'acc_{metres * 100:g}cm_{degrees:g}deg'
        out[key] = float(np.mean((t_err < metres) & (r_err < degrees)))
    return out


def average_scene_medians(per_scene: Dict[str, Tuple[Sequence[float], Sequence[float]]]) -> Dict[str, object]:
    """Per-scene medians and their average, as papers report dataset-level numbers.

    Args:
        per_scene (dict): scene name -> (translation errors (N,), rotation errors (N,)).

    Returns:
        dict: ``scenes`` (name -> summary of :func:`summarize_pose_errors`) and the averages of the
        per-scene medians as ``median_translation_m`` / ``median_rotation_deg``.
    """
    if not per_scene:
        raise ValueError('average_scene_medians: no scenes given')
    scenes = {name: summarize_pose_errors(*errs) for name, errs in per_scene.items()}
    return dict(scenes=scenes,
                median_translation_m=float(np.mean([s['median_translation_m'] for s in scenes.values()])),
                median_rotation_deg=float(np.mean([s['median_rotation_deg'] for s in scenes.values()])))


def evaluate_pose_files(pred_path: str, gt_path: str, convention: str = 'c2w',
                        project: bool = True) -> Dict[str, float]:
    """Read a prediction and a ground-truth pose file, pair them and summarise the errors.

    Args:
        pred_path (str): predictions (see :mod:`.pose_io` for the formats).
        gt_path (str): ground truth.
        convention (str): ``'c2w'`` or ``'w2c'`` for both files.
        project (bool): project rotations onto SO(3) (see :func:`pose_errors`).

    Returns:
        dict: :func:`summarize_pose_errors` of the paired frames.
    """
    pred, gt, _ = match_pose_files(read_pose_file(pred_path), read_pose_file(gt_path))
    return summarize_pose_errors(*pose_errors(pred, gt, convention, project))
