"""A textured room rendered by exact ray casting: a posed-image dataset in 7-Scenes layout (for NeFeS).

The scene is a closed box room (x in [-2, 2], y in [0, 2.6] with y up, z in [-2, 2]; metres) holding a
few axis-aligned boxes. Every face carries its own procedural texture (two colours blended by a
sinusoid-plus-checker pattern), so images are informative at 60 x 80 pixels and parallax between the
boxes and the walls separates rotation from translation.

Cameras follow NeFeS's pinhole model exactly: principal point (W/2, H/2) on the integer pixel grid,
focal 585 * H / 480 px (the 7-Scenes dSLAM focal, so :class:`SevenScenesNeFeSDataset` reads the set
unchanged). Each pixel averages ``supersample``^2 rays placed symmetrically about the pixel's grid
point. Training cameras circle the room on a wide loop (optionally plus a second, inner one), test cameras
on a loop of radius 0.75 m at other heights, all looking outwards at the walls.

Files under ``out_dir/<scene>/``: ``seq-01`` (train) and ``seq-02`` (test) with
``frame-NNNNNN.color.png`` (RGB), ``frame-NNNNNN.depth.png`` (uint16 depth along the optical axis in
mm) and ``frame-NNNNNN.pose.txt`` (4x4 camera-to-world, OpenCV camera: x right, y down, z forward, as
7-Scenes), ``TrainSplit.txt`` / ``TestSplit.txt`` and ``room_meta.json``.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import numpy as np
from PIL import Image

GENERATOR_VERSION = 1
ROOM_MIN = np.array([-2.0, 0.0, -2.0])
ROOM_MAX = np.array([2.0, 2.6, 2.0])
# Furniture: (min corner, max corner).
ROOM_BOXES = (((-1.9, 0.0, -1.9), (-1.1, 0.9, -1.2)), ((0.9, 0.0, -0.4), (1.6, 0.7, 0.5)),
              ((-0.5, 0.0, 1.2), (0.4, 1.3, 1.9)))
SEVEN_SCENES_FOCAL_AT_480 = 585.0
OPENCV_FROM_OPENGL = np.diag([1.0, -1.0, -1.0])

__all__ = ['RoomScene', 'make_room_scene', 'cast_rays', 'render_views', 'render_views_torch', 'room_camera_path',
           'make_room_dataset']


@dataclass
class RoomScene:
    """Geometry and textures. ``boxes`` (B, 2, 3) min/max corners; per face (6 room + 6 per box):
    ``colors`` (F, 2, 3) in [0, 1], ``freqs`` (F, 2) sinusoid frequency vectors (rad/m) in the face's
    (u, v) coordinates, ``phases`` (F,), ``checker`` (F,) checker cell sizes (m)."""
    boxes: np.ndarray
    colors: np.ndarray
    freqs: np.ndarray
    phases: np.ndarray
    checker: np.ndarray


def make_room_scene(seed: int = 0) -> RoomScene:
    """Draw the face textures (geometry is fixed) from ``np.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    num_faces = 6 * (1 + len(ROOM_BOXES))
    base = rng.uniform(0.15, 0.85, (num_faces, 1, 3))
    colors = np.clip(base + rng.uniform(-0.35, 0.35, (num_faces, 2, 3)), 0.02, 0.98)
    angle = rng.uniform(0, np.pi, num_faces)
    freq = rng.uniform(4.0, 10.0, num_faces)
    return RoomScene(boxes=np.asarray(ROOM_BOXES, dtype=np.float64), colors=colors,
                     freqs=np.stack([np.cos(angle), np.sin(angle)], -1) * freq[:, None],
                     phases=rng.uniform(0, 2 * np.pi, num_faces), checker=rng.uniform(0.25, 0.6, num_faces))


def cast_rays(scene: RoomScene, origins: np.ndarray, dirs: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact first hits of rays started inside the room.

    Args:
        scene (RoomScene): the room.
        origins (np.ndarray): (N, 3) ray origins (inside the room, outside the boxes).
        dirs (np.ndarray): (N, 3) directions (any length; t is in units of ``dirs``).

    Returns:
        tuple: ray parameters t (N,), hit points (N, 3) and face ids (N,) (0..5 room walls as
        ``2 * axis + (1 if max side)``, then 6 per box).
    """
    with np.errstate(divide='ignore', invalid='ignore'):
        inv = 1.0 / dirs
        # Room interior: leave through the wall each axis is heading to.
        wall = np.where(dirs > 0, ROOM_MAX, ROOM_MIN)
        t_axis = np.where(dirs != 0, (wall - origins) * inv, np.inf)
        axis = t_axis.argmin(1)
        t = t_axis[np.arange(len(origins)), axis]
        face = 2 * axis + (dirs[np.arange(len(origins)), axis] > 0)
        for b, (lo, hi) in enumerate(scene.boxes):
            t1, t2 = (lo - origins) * inv, (hi - origins) * inv
            t_near, t_far = np.minimum(t1, t2), np.maximum(t1, t2)
            t_near = np.where(np.isnan(t_near), -np.inf, t_near)
            t_far = np.where(np.isnan(t_far), np.inf, t_far)
            enter, leave = t_near.max(1), t_far.min(1)
            hit = (enter <= leave) & (enter > 1e-9) & (enter < t)
            box_axis = t_near.argmax(1)
            t = np.where(hit, enter, t)
            box_face = 6 * (b + 1) + 2 * box_axis + (dirs[np.arange(len(origins)), box_axis] < 0)
            face = np.where(hit, box_face, face)
    return t, origins + t[:, None] * dirs, face


def _shade(scene: RoomScene, points: np.ndarray, face: np.ndarray) -> np.ndarray:
    """Texture colour (N, 3) at hit points on the given faces."""
    axis = (face % 6) // 2
    keep = np.stack([np.where(axis == 0, 1, 0), np.where(axis == 2, 1, 2)], 1)  # the two in-plane axes
    uv = np.take_along_axis(points, keep, 1)
    wave = 0.5 + 0.5 * np.sin((uv * scene.freqs[face]).sum(1) + scene.phases[face])
    cells = np.floor(uv / scene.checker[face][:, None]).sum(1) % 2
    mix = np.clip(0.65 * wave + 0.35 * cells, 0, 1)[:, None]
    return scene.colors[face, 0] * (1 - mix) + scene.colors[face, 1] * mix


def render_views(scene: RoomScene, c2w: np.ndarray, height: int, width: int, focal: float,
                 supersample: int = 2) -> Tuple[np.ndarray, np.ndarray]:
    """Render images by ray casting with NeFeS's camera model.

    Args:
        scene (RoomScene): the room.
        c2w (np.ndarray): (N, 3, 4) camera-to-world poses, OpenGL camera (looking down -z, y up).
        height (int): H.
        width (int): W.
        focal (float): focal length (px).
        supersample (int): s; each pixel averages s x s rays at offsets symmetric about its grid point.

    Returns:
        tuple: images (N, H, W, 3) float in [0, 1] and depth along the optical axis (N, H, W) of the
        central ray grid point (exact for s = 1; mean of the sub-rays otherwise).
    """
    offsets = (np.arange(supersample) + 0.5) / supersample - 0.5
    jj, ii = np.meshgrid(np.arange(height, dtype=np.float64), np.arange(width, dtype=np.float64), indexing='ij')
    images, depths = [], []
    for pose in np.asarray(c2w, dtype=np.float64):
        rgb, depth = 0.0, 0.0
        for dy in offsets:
            for dx in offsets:
                cam = np.stack([(ii + dx - width / 2) / focal, -(jj + dy - height / 2) / focal, -np.ones_like(ii)], -1)
                dirs = cam.reshape(-1, 3) @ pose[:, :3].T
                t, points, face = cast_rays(scene, np.broadcast_to(pose[:, 3], dirs.shape), dirs)
                rgb = rgb + _shade(scene, points, face)
                depth = depth + t
        images.append((rgb / supersample**2).reshape(height, width, 3))
        depths.append((depth / supersample**2).reshape(height, width))
    return np.stack(images), np.stack(depths)


def _cast_rays_torch(scene: RoomScene, origins, dirs):
    """:func:`cast_rays` in PyTorch: (t (N,), points (N, 3), face ids (N,)), differentiable in t and points."""
    import torch
    lo_room, hi_room = origins.new_tensor(ROOM_MIN), origins.new_tensor(ROOM_MAX)
    rows = torch.arange(len(origins), device=origins.device)
    flat = dirs == 0  # rays parallel to an axis: that axis never bounds them (numpy gets this from inf arithmetic)
    inv = 1.0 / torch.where(flat, torch.ones_like(dirs), dirs)
    t_axis = torch.where(flat, torch.full_like(dirs, float('inf')),
                         (torch.where(dirs > 0, hi_room, lo_room) - origins) * inv)
    axis = t_axis.detach().argmin(1)
    t = t_axis[rows, axis]
    face = 2 * axis + (dirs[rows, axis] > 0).long()
    for b, (lo, hi) in enumerate(scene.boxes):
        t1, t2 = (origins.new_tensor(lo) - origins) * inv, (origins.new_tensor(hi) - origins) * inv
        t_near, t_far = torch.minimum(t1, t2), torch.maximum(t1, t2)
        inside = (origins >= origins.new_tensor(lo)) & (origins <= origins.new_tensor(hi))
        t_near = torch.where(flat, torch.where(inside, -float('inf'), float('inf')), t_near)
        t_far = torch.where(flat, torch.full_like(t_far, float('inf')), t_far)
        enter, box_axis = t_near.detach().max(1)
        hit = (enter <= t_far.detach().min(1).values) & (enter > 1e-9) & (enter < t.detach())
        t = torch.where(hit, t_near[rows, box_axis], t)
        face = torch.where(hit, 6 * (b + 1) + 2 * box_axis + (dirs[rows, box_axis] < 0).long(), face)
    return t, origins + t[:, None] * dirs, face


def _shade_torch(scene: RoomScene, points, face):
    """:func:`_shade` in PyTorch (differentiable through the sinusoids; the checker is piecewise constant)."""
    import torch
    tensor = lambda a: points.new_tensor(np.asarray(a))  # noqa: E731
    axis = (face % 6) // 2
    uv = torch.stack([points.gather(1, torch.where(axis == 0, 1, 0)[:, None])[:, 0],
                      points.gather(1, torch.where(axis == 2, 1, 2)[:, None])[:, 0]], 1)
    wave = 0.5 + 0.5 * torch.sin((uv * tensor(scene.freqs)[face]).sum(1) + tensor(scene.phases)[face])
    cells = torch.floor(uv.detach() / tensor(scene.checker)[face][:, None]).sum(1) % 2
    mix = torch.clamp(0.65 * wave + 0.35 * cells, 0, 1)[:, None]
    colors = tensor(scene.colors)[face]
    return colors[:, 0] * (1 - mix) + colors[:, 1] * mix


def render_views_torch(scene: RoomScene, c2w, height: int, width: int, focal: float, supersample: int = 2):
    """:func:`render_views` in PyTorch, batched and differentiable w.r.t. the poses (same pixels).

    The gradient is the analytic one of each ray's first hit and texture: it sees the sinusoidal part of
    the textures moving, not occlusion boundaries or checker edges crossing pixels (those are
    discontinuities of the exact image). Useful as an exact reference renderer for tests.

    Args:
        scene (RoomScene): the room.
        c2w (Tensor): (N, 3, 4) camera-to-world poses in the room frame, OpenGL camera.
        height (int): H.
        width (int): W.
        focal (float): focal length (px).
        supersample (int): s x s rays per pixel, symmetric about the pixel's grid point.

    Returns:
        Tensor: (N, 3, H, W) images in [0, 1], dtype of ``c2w``.
    """
    import torch
    offsets = (torch.arange(supersample, dtype=c2w.dtype, device=c2w.device) + 0.5) / supersample - 0.5
    jj, ii = torch.meshgrid(torch.arange(height, dtype=c2w.dtype, device=c2w.device),
                            torch.arange(width, dtype=c2w.dtype, device=c2w.device), indexing='ij')
    images = []
    for pose in c2w:
        rgb = 0
        for dy in offsets:
            for dx in offsets:
                cam = torch.stack([(ii + dx - width / 2) / focal, -(jj + dy - height / 2) / focal,
                                   -torch.ones_like(ii)], -1).reshape(-1, 3)
                dirs = cam @ pose[:, :3].T
                _, points, face = _cast_rays_torch(scene, pose[:, 3].expand_as(dirs), dirs)
                rgb = rgb + _shade_torch(scene, points, face)
        images.append((rgb / supersample**2).reshape(height, width, 3).permute(2, 0, 1))
    return torch.stack(images)


def _look_at(eye: np.ndarray, target: np.ndarray, up=(0.0, 1.0, 0.0)) -> np.ndarray:
    """OpenGL camera-to-world (3, 4) at ``eye`` looking at ``target``."""
    z = eye - target
    z = z / np.linalg.norm(z)
    x = np.cross(np.asarray(up), z)
    x = x / np.linalg.norm(x)
    return np.stack([x, np.cross(z, x), z, eye], 1)


def room_camera_path(split: str, num: int, seed: int = 0, inner_radius: Optional[float] = None) -> np.ndarray:
    """Camera loop: (num, 3, 4) OpenGL camera-to-world poses in the room frame.

    ``'train'``: radius 1.0 m, height 1.2..1.6 m, looking out at the walls 0.5 rad ahead of the camera's
    heading; ``'test'``: radius 0.75 m, heights 1.1..1.5 m, phase-shifted, so test views lie between
    training views. Small per-camera jitter from ``np.random.default_rng([seed, split])``.

    With ``inner_radius`` (train only), the first ``num - num // 2`` cameras are that loop and the other
    ``num // 2`` a second loop (drawn with seed + 100) whose camera centres are pulled in to ``inner_radius``
    m, each still looking at the point 2 m ahead of its original pose: training views on both sides of the
    test loop.
    """
    if split not in ('train', 'test'):
        raise ValueError(f'room_camera_path: split must be train or test, got {split!r}')
    if inner_radius is not None:
        if split != 'train' or not 0 < inner_radius < 1.0:
            raise ValueError(f'room_camera_path: inner_radius is for the train split, in (0, 1) m, got {inner_radius}')
        outer = room_camera_path('train', num - num // 2, seed)
        inner = room_camera_path('train', num // 2, seed + 100)
        for pose in inner:
            target = pose[:, 3] - 2.0 * pose[:, 2]
            pose[:] = _look_at(pose[:, 3] * np.array([inner_radius, 1.0, inner_radius]), target)
        return np.concatenate([outer, inner])
    rng = np.random.default_rng([seed, 0 if split == 'train' else 1])
    radius, height, phase = (1.0, 1.4, 0.0) if split == 'train' else (0.75, 1.3, 0.37)
    theta = phase + np.linspace(0, 2 * np.pi, num, endpoint=False)
    poses = []
    for k, th in enumerate(theta):
        eye = np.array([radius * np.cos(th), height + 0.2 * np.sin(3 * th), radius * np.sin(th)])
        eye = eye + rng.normal(0, 0.03, 3)
        look = th + 0.5 + rng.normal(0, 0.05)
        target = np.array([1.9 * np.cos(look), 1.1 + 0.3 * np.sin(2 * th) + rng.normal(0, 0.05), 1.9 * np.sin(look)])
        poses.append(_look_at(eye, target))
    return np.stack(poses)


def make_room_dataset(out_dir: str, scene_name: str = 'room', num_train: int = 120, num_test: int = 40,
                      height: int = 60, width: int = 80, seed: int = 0, supersample: int = 2,
                      train_inner_radius: Optional[float] = None) -> Dict[str, object]:
    """Render and write the dataset (see the module docstring for the layout).

    ``train_inner_radius`` adds a second, inner training loop (see :func:`room_camera_path`).

    Returns:
        dict: the metadata also written to ``room_meta.json`` (sizes, focal, counts, seed, the
        suggested NeFeS scene setup ``near``/``far``).
    """
    scene = make_room_scene(seed)
    root = osp.join(out_dir, scene_name)
    focal = SEVEN_SCENES_FOCAL_AT_480 * height / 480.0
    for seq, split, num in ((1, 'train', num_train), (2, 'test', num_test)):
        seq_dir = osp.join(root, f'seq-{seq:02d}')
        os.makedirs(seq_dir, exist_ok=True)
        poses = room_camera_path(split, num, seed, inner_radius=train_inner_radius if split == 'train' else None)
        images, depths = render_views(scene, poses, height, width, focal, supersample)
        for i, (pose, img, depth) in enumerate(zip(poses, images, depths)):
            stem = osp.join(seq_dir, f'frame-{i:06d}')
            Image.fromarray(np.round(img * 255).astype(np.uint8)).save(stem + '.color.png')
            Image.fromarray(np.round(depth * 1000).astype(np.uint16)).save(stem + '.depth.png')
            c2w_cv = np.eye(4)
            c2w_cv[:3, :3], c2w_cv[:3, 3] = pose[:, :3] @ OPENCV_FROM_OPENGL, pose[:, 3]
            np.savetxt(stem + '.pose.txt', c2w_cv, fmt='%.10f')
    with open(osp.join(root, 'TrainSplit.txt'), 'w') as f:
        f.write('sequence1\n')
    with open(osp.join(root, 'TestSplit.txt'), 'w') as f:
        f.write('sequence2\n')
    meta = dict(generator_version=GENERATOR_VERSION, seed=seed, height=height, width=width, focal=focal,
                num_train=num_train, num_test=num_test, supersample=supersample,
                train_inner_radius=train_inner_radius,
                scene_setup=dict(near=0.0, far=float(np.linalg.norm(ROOM_MAX - ROOM_MIN)), pose_scale=1.0,
                                 move_all_cam_vec=[0.0, 0.0, 0.0], pose_scale2=1.0))
    with open(osp.join(root, 'room_meta.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    return meta
