"""Reading and writing per-frame pose files.

Two line formats are understood (blank lines and lines starting with ``#`` are skipped):

* ``matrix``: a flattened 3x4 ``[R | t]`` in row-major order, 12 numbers per line, optionally
  preceded by a frame name. This is how the official NeFeS release publishes its per-frame results
  (camera-to-world, APR frame).
* ``quaternion``: ``name qw qx qy qz tx ty tz`` (scalar-first unit quaternion and translation).

The convention (camera-to-world or world-to-camera) is not stored in the file; callers state it.
"""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

from .pose import matrix_to_quaternion, project_to_so3, quaternion_to_matrix

POSE_FORMATS = ('matrix', 'quaternion')


@dataclass
class PoseFile:
    """Poses read from one file.

    Attributes:
        path (str): the file.
        poses (np.ndarray): (N, 3, 4) float64 ``[R | t]`` as written (rotations not re-projected).
        names (list[str] | None): frame names, or None when the file has none.
        fmt (str): ``'matrix'`` or ``'quaternion'``.
    """
    path: str
    poses: np.ndarray
    names: Optional[List[str]]
    fmt: str

    def __len__(self) -> int:
        return len(self.poses)


def _floats(tokens: Sequence[str]) -> Optional[List[float]]:
    try:
        vals = [float(t) for t in tokens]
    except ValueError:
        return None
    return vals if all(np.isfinite(vals)) else None


def _parse_line(tokens: List[str]) -> Tuple[str, Optional[str], Optional[List[float]]]:
    """Classify one line: returns (format, name, numbers) or (kind-of-failure, None, None)."""
    if len(tokens) == 12 and _floats(tokens) is not None:
        return 'matrix', None, _floats(tokens)
    if len(tokens) == 13 and _floats(tokens[1:]) is not None:
        return 'matrix', tokens[0], _floats(tokens[1:])
    if len(tokens) == 8 and _floats(tokens[1:]) is not None:
        return 'quaternion', tokens[0], _floats(tokens[1:])
    return 'invalid', None, None


_EXPECTED = {
    'matrix': '12 finite numbers (flattened 3x4 [R|t], row-major), optionally preceded by a frame name',
    'quaternion': "'name qw qx qy qz tx ty tz' (a name and 7 finite numbers)",
}


def read_pose_file(path: str, fmt: str = 'auto') -> PoseFile:
    """Read a pose file in either supported format.

    Args:
        path (str): text file.
        fmt (str): ``'auto'`` (decided by the first data line), ``'matrix'`` or ``'quaternion'``.

    Returns:
        PoseFile: with (N, 3, 4) float64 poses.

    Raises:
        ValueError: naming the file, the line number and the expected layout, on any malformed
            line, on a line of another format than the file's, on a zero quaternion, on a missing
            or duplicate frame name, or on an empty file.
    """
    if fmt not in ('auto', ) + POSE_FORMATS:
        raise ValueError(f'read_pose_file: fmt must be auto, matrix or quaternion, got {fmt!r}')
    poses, names = [], []
    file_fmt = None if fmt == 'auto' else fmt
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith('#'):
                continue
            kind, name, nums = _parse_line(text.split())
            if file_fmt is None:
                if kind == 'invalid':
                    raise ValueError(f'{path}:{lineno}: cannot read a pose from {text[:80]!r}; expected either '
                                     f'{_EXPECTED["matrix"]} or {_EXPECTED["quaternion"]}')
                file_fmt = kind
            if kind != file_fmt:
                raise ValueError(f'{path}:{lineno}: expected {_EXPECTED[file_fmt]} (the file is in {file_fmt} '
                                 f'format), got {len(text.split())} fields: {text[:80]!r}')
            if names and (name is None) != (names[0] is None):
                raise ValueError(f'{path}:{lineno}: frame names must be given on every line or on none')
            if file_fmt == 'matrix':
                pose = np.asarray(nums, dtype=np.float64).reshape(3, 4)
            else:
                quat = np.asarray(nums[:4], dtype=np.float64)
                if np.linalg.norm(quat) < 1e-12:
                    raise ValueError(f'{path}:{lineno}: zero quaternion (qw qx qy qz) for frame {name!r}')
                rot = quaternion_to_matrix(torch.from_numpy(quat)).numpy()
                pose = np.concatenate([rot, np.asarray(nums[4:], dtype=np.float64)[:, None]], axis=1)
            poses.append(pose)
            names.append(name)
    if not poses:
        raise ValueError(f'{path}: no poses found (empty file or only comments)')
    if names[0] is None:
        names = None
    elif len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})[:5]
        raise ValueError(f'{path}: duplicate frame names {dup}')
    return PoseFile(path=str(path), poses=np.stack(poses), names=names, fmt=file_fmt)


def write_pose_file(path: str, poses, names: Optional[Sequence[str]] = None, fmt: str = 'matrix') -> None:
    """Write poses in one of the formats :func:`read_pose_file` reads.

    Args:
        path (str): output file.
        poses (array-like): (N, 3, 4) ``[R | t]``.
        names (Sequence[str] | None): frame names (required for ``'quaternion'``).
        fmt (str): ``'matrix'`` or ``'quaternion'`` (rotations are projected to SO(3) first).
    """
    poses = np.asarray(torch.as_tensor(poses, dtype=torch.float64).cpu(), dtype=np.float64)
    if poses.ndim != 3 or poses.shape[1:] != (3, 4):
        raise ValueError(f'write_pose_file: poses must be (N, 3, 4), got {poses.shape}')
    if fmt not in POSE_FORMATS:
        raise ValueError(f'write_pose_file: fmt must be matrix or quaternion, got {fmt!r}')
    if names is not None and len(names) != len(poses):
        raise ValueError(f'write_pose_file: {len(names)} names for {len(poses)} poses')
    if fmt == 'quaternion' and names is None:
        raise ValueError('write_pose_file: the quaternion format needs frame names')
    if names is not None and any(len(str(n).split()) != 1 for n in names):
        raise ValueError('write_pose_file: frame names must be non-empty and contain no whitespace')
    lines = []
    for i, pose in enumerate(poses):
        if fmt == 'matrix':
            nums = pose.reshape(12)
        else:
            rot = project_to_so3(torch.from_numpy(pose[:, :3]))
            nums = np.concatenate([matrix_to_quaternion(rot).numpy(), pose[:, 3]])
        fields = ([str(names[i])] if names is not None else []) + [f'{v:.10e}' for v in nums]
        lines.append(' '.join(fields))
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')


def match_pose_files(pred: PoseFile, gt: PoseFile) -> Tuple[np.ndarray, np.ndarray, List[str]]:
    """Pair predictions with ground truth, by frame name when both files have names, else by order.

    Returns:
        tuple: pred poses (N, 3, 4), gt poses (N, 3, 4) in gt order, and the N frame labels.

    Raises:
        ValueError: when names are missing from the predictions or the counts differ.
    """
    if pred.names is not None and gt.names is not None:
        index = {n: i for i, n in enumerate(pred.names)}
        missing = [n for n in gt.names if n not in index]
        if missing:
            raise ValueError(f'{pred.path}: {len(missing)} frame(s) of {gt.path} have no prediction, '
                             f'e.g. {missing[:5]}')
        order = [index[n] for n in gt.names]
        return pred.poses[order], gt.poses, list(gt.names)
    if len(pred) != len(gt):
        raise ValueError(f'{pred.path} has {len(pred)} poses but {gt.path} has {len(gt)}; without frame '
                         f'names in both files poses are matched line by line, so the counts must agree')
    labels = gt.names or pred.names or [str(i) for i in range(len(gt))]
    return pred.poses, gt.poses, list(labels)
