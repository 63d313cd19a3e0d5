"""Aachen Day-Night file formats (and the visuallocalization.net submission format).

* Image lists with intrinsics, e.g. ``queries/night_time_queries_with_intrinsics.txt`` or
  ``3D-models/database_intrinsics.txt``: one image per line, ``name MODEL W H params...`` with a COLMAP
  camera model name (``SIMPLE_RADIAL 1600 1200 f cx cy k`` for Aachen; principal points in COLMAP pixels).
* Pair lists (``image_pairs_to_match.txt``, hloc retrieval pairs): ``name1 name2`` per line.
* The database model: the NVM file ``3D-models/aachen_cvpr2018_db.nvm`` (``NVM_V3`` header, the number of
  cameras, then ``name focal qw qx qy qz cx cy cz radial 0`` per camera, where the quaternion is the
  world-to-camera rotation R and c the camera centre, so ``t = -R c``; the points section is not needed
  here) together with the intrinsics list, or any COLMAP model (text or binary).
* Poses (the submission format): ``name qw qx qy qz tx ty tz`` per line, world-to-camera (COLMAP's
  convention); the submission names each query by its basename only.

Blank lines and lines starting with ``#`` are skipped in the line-based lists. Errors name the file,
the line number and what was expected.
"""
import os
import os.path as osp
from typing import Dict, List, Mapping, Tuple

import numpy as np
import pycolmap

from .pose_accuracy import pose_matrix


def _lines(path: str):
    """``(line_number, fields)`` of the non-blank, non-comment lines of a text file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'file not found: {path}')
    with open(path) as f:
        for num, line in enumerate(f, 1):
            fields = line.split()
            if fields and not fields[0].startswith('#'):
                yield num, fields


def _floats(fields: List[str], path: str, num: int, what: str) -> np.ndarray:
    try:
        vals = np.array([float(x) for x in fields], dtype=np.float64)
    except ValueError:
        raise ValueError(f'{path}:{num}: expected numbers for {what}, got {" ".join(fields)!r}') from None
    if not np.isfinite(vals).all():
        raise ValueError(f'{path}:{num}: {what} must be finite, got {" ".join(fields)!r}')
    return vals


def num_camera_params(model: str) -> int:
    """Number of parameters of a COLMAP camera model (e.g. 4 for SIMPLE_RADIAL); raises if unknown."""
    if model not in pycolmap.CameraModelId.__members__ or model == 'INVALID':
        known = [m for m in pycolmap.CameraModelId.__members__ if m != 'INVALID']
        raise ValueError(f'unknown camera model {model!r}; expected one of {known}')
    return len(pycolmap.Camera.create_from_model_name(0, model, 1.0, 1, 1).params)


def make_camera(model: str, width: int, height: int, params) -> pycolmap.Camera:
    """A ``pycolmap.Camera``, checking the parameter count of ``model``."""
    n = num_camera_params(model)
    if len(params) != n:
        raise ValueError(f'camera model {model} takes {n} parameters, got {len(params)}')
    return pycolmap.Camera(model=model, width=int(width), height=int(height), params=np.asarray(params, np.float64))


def read_intrinsics_list(path: str) -> Dict[str, pycolmap.Camera]:
    """Read ``name MODEL W H params...`` lines into ``{name: pycolmap.Camera}`` (file order)."""
    cams: Dict[str, pycolmap.Camera] = {}
    for num, f in _lines(path):
        if len(f) < 5:
            raise ValueError(f'{path}:{num}: expected "name MODEL WIDTH HEIGHT params...", got {" ".join(f)!r}')
        name, model = f[0], f[1]
        try:
            n = num_camera_params(model)
        except ValueError as e:
            raise ValueError(f'{path}:{num}: {e}') from None
        if not (f[2].isdigit() and f[3].isdigit() and int(f[2]) > 0 and int(f[3]) > 0):
            raise ValueError(f'{path}:{num}: WIDTH and HEIGHT must be positive integers, got {f[2]!r} {f[3]!r}')
        if len(f) - 4 != n:
            raise ValueError(f'{path}:{num}: camera model {model} takes {n} parameters, got {len(f) - 4}')
        if name in cams:
            raise ValueError(f'{path}:{num}: image {name!r} is listed twice')
        cams[name] = make_camera(model, int(f[2]), int(f[3]), _floats(f[4:], path, num, 'camera parameters'))
    return cams


def write_intrinsics_list(path: str, cameras: Mapping[str, pycolmap.Camera]) -> None:
    """Write ``name MODEL W H params...`` lines (the inverse of :func:`read_intrinsics_list`)."""
    _makedirs(path)
    with open(path, 'w') as f:
        for name, c in cameras.items():
            _check_name(name)
            f.write(f'{name} {c.model_name} {c.width} {c.height} ' + ' '.join(repr(float(p)) for p in c.params) + '\n')


def read_pairs(path: str) -> List[Tuple[str, str]]:
    """Read ``name1 name2`` lines into a list of pairs (file order)."""
    pairs = []
    for num, f in _lines(path):
        if len(f) != 2:
            raise ValueError(f'{path}:{num}: expected two image names "name1 name2", got {len(f)} fields '
                             f'{" ".join(f)!r}')
        pairs.append((f[0], f[1]))
    return pairs


def write_pairs(path: str, pairs) -> None:
    """Write ``name1 name2`` lines."""
    _makedirs(path)
    with open(path, 'w') as f:
        for a, b in pairs:
            _check_name(a), _check_name(b)
            f.write(f'{a} {b}\n')


def rigid_from_quat_t(qwxyz, t) -> pycolmap.Rigid3d:
    """``pycolmap.Rigid3d`` from a (w, x, y, z) quaternion (normalised) and a translation."""
    qw, qx, qy, qz = qwxyz
    return pycolmap.Rigid3d(pycolmap.Rotation3d(np.array([qx, qy, qz, qw], np.float64)),
                            np.asarray(t, np.float64).reshape(3))


def _unit_quat(q: np.ndarray, path: str, num: int) -> np.ndarray:
    norm = np.linalg.norm(q)
    if abs(norm - 1) > 1e-2:
        raise ValueError(f'{path}:{num}: the quaternion qw qx qy qz must have unit norm, got norm {norm:.6g}')
    return q / norm


def read_poses(path: str) -> Dict[str, pycolmap.Rigid3d]:
    """Read ``name qw qx qy qz tx ty tz`` lines (world-to-camera) into ``{name: pycolmap.Rigid3d}``."""
    poses: Dict[str, pycolmap.Rigid3d] = {}
    for num, f in _lines(path):
        if len(f) != 8:
            raise ValueError(f'{path}:{num}: expected "name qw qx qy qz tx ty tz" (8 fields), got {len(f)}: '
                             f'{" ".join(f)!r}')
        vals = _floats(f[1:], path, num, 'qw qx qy qz tx ty tz')
        if f[0] in poses:
            raise ValueError(f'{path}:{num}: image {f[0]!r} is listed twice')
        poses[f[0]] = rigid_from_quat_t(_unit_quat(vals[:4], path, num), vals[4:])
    return poses


def write_poses(path: str, poses: Mapping[str, object], basename: bool = True) -> None:
    """Write world-to-camera poses as ``name qw qx qy qz tx ty tz`` (the visuallocalization.net format).

    Args:
        poses: ``{name: pycolmap.Rigid3d or (3, 4) [R|t]}``.
        basename (bool): write the file name only (``query/night/nexus5x/IMG_1.jpg`` -> ``IMG_1.jpg``), as the
            Aachen submission expects; raises if two images share a basename.
    """
    seen: Dict[str, str] = {}
    _makedirs(path)
    with open(path, 'w') as f:
        for name, pose in poses.items():
            out = name.replace('\\', '/').split('/')[-1] if basename else name
            _check_name(out)
            if out in seen:
                raise ValueError(f'{name!r} and {seen[out]!r} share the basename {out!r}; write full names instead')
            seen[out] = name
            m = pose_matrix(pose)
            x, y, z, w = pycolmap.Rotation3d(m[:, :3]).quat
            if w < 0:  # one canonical sign
                x, y, z, w = -x, -y, -z, -w
            f.write(' '.join([out] + [repr(float(v)) for v in (w, x, y, z, *m[:, 3])]) + '\n')


def read_nvm(path: str) -> Dict[str, Dict[str, object]]:
    """Cameras of an NVM_V3 model: ``{name: dict(cam_from_world=Rigid3d, focal=float, radial=float)}``.

    Only the first model's camera section is read (the points are not needed to localize against known poses).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'file not found: {path}')
    with open(path) as f:
        lines = list(enumerate(f, 1))
    rows = [(n, line.split()) for n, line in lines if line.strip()]
    if not rows or rows[0][1][0] != 'NVM_V3':
        raise ValueError(f'{path}:1: expected the header "NVM_V3"')
    if len(rows) < 2 or len(rows[1][1]) != 1 or not rows[1][1][0].isdigit():
        n = rows[1][0] if len(rows) > 1 else 2
        raise ValueError(f'{path}:{n}: expected the number of cameras (one integer)')
    count, cams = int(rows[1][1][0]), {}
    if len(rows) < 2 + count:
        raise ValueError(f'{path}: the header announces {count} cameras but the file ends after {len(rows) - 2}')
    for num, f in rows[2:2 + count]:
        if len(f) != 11:
            raise ValueError(f'{path}:{num}: expected "name focal qw qx qy qz cx cy cz radial 0" (11 fields), '
                             f'got {len(f)}: {" ".join(f)!r}')
        vals = _floats(f[1:10], path, num, 'focal qw qx qy qz cx cy cz radial')
        R = pycolmap.Rotation3d(_unit_quat(vals[1:5], path, num)[[1, 2, 3, 0]])
        if f[0] in cams:
            raise ValueError(f'{path}:{num}: image {f[0]!r} is listed twice')
        cams[f[0]] = dict(cam_from_world=pycolmap.Rigid3d(R, -R.matrix() @ vals[5:8]), focal=float(vals[0]),
                          radial=float(vals[8]))
    return cams


def read_database_model(intrinsics_path: str = None, poses_path: str = None, nvm_path: str = None,
                        colmap_path: str = None) -> Tuple[Dict[str, pycolmap.Camera], Dict[str, pycolmap.Rigid3d]]:
    """Database intrinsics and ``cam_from_world`` poses from one of: a COLMAP model folder; an NVM file plus an
    intrinsics list (Aachen); a poses file (:func:`read_poses` format) plus an intrinsics list.

    Raises:
        ValueError: when the sources disagree on the image names.
    """
    if colmap_path is not None:
        if nvm_path is not None or poses_path is not None:
            raise ValueError('give either a COLMAP model or an NVM/poses file, not both')
        return read_colmap_model(colmap_path)
    if (nvm_path is None) == (poses_path is None) or intrinsics_path is None:
        raise ValueError('the database needs a COLMAP model, or an intrinsics list with an NVM file or a poses file')
    cameras = read_intrinsics_list(intrinsics_path)
    if nvm_path is not None:
        poses = {k: v['cam_from_world'] for k, v in read_nvm(nvm_path).items()}
        src = nvm_path
    else:
        poses, src = read_poses(poses_path), poses_path
    no_cam, no_pose = sorted(set(poses) - set(cameras)), sorted(set(cameras) - set(poses))
    if no_cam or no_pose:
        raise ValueError(f'{src} and {intrinsics_path} must list the same images: {len(no_cam)} without '
                         f'intrinsics (e.g. {no_cam[:3]}), {len(no_pose)} without a pose (e.g. {no_pose[:3]})')
    return cameras, poses


def read_colmap_model(path: str) -> Tuple[Dict[str, pycolmap.Camera], Dict[str, pycolmap.Rigid3d]]:
    """``({name: Camera}, {name: cam_from_world})`` of the posed images of a COLMAP model (text or binary)."""
    if not osp.isdir(path):
        raise FileNotFoundError(f'COLMAP model folder not found: {path}')
    rec = pycolmap.Reconstruction(path)
    cameras, poses = {}, {}
    for img in rec.images.values():
        if img.has_pose:
            cameras[img.name] = rec.cameras[img.camera_id]
            poses[img.name] = img.cam_from_world()
    return cameras, poses


def _check_name(name: str) -> None:
    if not name or any(c.isspace() for c in name):
        raise ValueError(f'image names must be non-empty and free of whitespace, got {name!r}')


def _makedirs(path: str) -> None:
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)


__all__ = ['read_intrinsics_list', 'write_intrinsics_list', 'read_pairs', 'write_pairs', 'read_poses', 'write_poses',
           'read_nvm', 'read_database_model', 'read_colmap_model', 'make_camera', 'num_camera_params',
           'rigid_from_quat_t']
