"""A generated localization scene with known geometry: textured planes seen by known pinhole cameras.

The scene is a small square (world frame: z up, metres): three facades (16 x 6 m at y = 12, and 12 x 6 m
at x = ±8), the ground, and two free-standing panels in front of the back facade (parallax and
occlusions). Faces carry real photographs that scikit-image ships (mosaics fitted to each face at
``texels_per_m``), so local features see natural texture; rays that hit nothing see a uniform sky.

Rendering is exact ray casting: every pixel averages ``supersample``² rays placed symmetrically about its
centre, each intersected with every plane (nearest hit wins) and coloured by bilinear texture sampling.
Cameras are ``pycolmap.Camera`` (any model, COLMAP pixels: the top-left pixel's centre is (0.5, 0.5)) with
world-to-camera poses ``pycolmap.Rigid3d`` (x right, y down, z forward).
"""
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import cv2
import numpy as np
import pycolmap

SKY_RGB = (205.0, 222.0, 238.0)
# (origin = top-left corner, edge_u = along texture rows, edge_v = down the texture, pictures of the mosaic)
SCENE_LAYOUT = (
    ((-8.0, 12.0, 6.0), (16.0, 0.0, 0.0), (0.0, 0.0, -6.0), ('astronaut', 'coffee', 'rocket', 'chelsea')),  # back
    ((-8.0, 0.0, 6.0), (0.0, 12.0, 0.0), (0.0, 0.0, -6.0), ('stereo_motorcycle', 'immunohistochemistry', 'cat')),
    ((8.0, 12.0, 6.0), (0.0, -12.0, 0.0), (0.0, 0.0, -6.0), ('hubble_deep_field', 'retina', 'colorwheel')),
    ((-8.0, 12.0, 0.0), (16.0, 0.0, 0.0), (0.0, -14.0, 0.0), ('gravel', 'brick')),  # ground
    ((-4.0, 6.0, 2.6), (2.4, -0.6, 0.0), (0.0, 0.0, -2.2), ('coins', )),  # panels
    ((1.5, 8.0, 3.2), (2.6, 0.8, 0.0), (0.0, 0.0, -2.6), ('clock', 'page')),
)


@dataclass
class TexturedPlane:
    """A textured rectangle ``origin + a·edge_u + b·edge_v``, a, b in [0, 1]; texture pixel (col, row) =
    (a·W_t, b·H_t) in pixel-edge coordinates. ``texture`` is (H_t, W_t, 3) uint8 RGB."""
    origin: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    texture: np.ndarray

    @property
    def normal(self) -> np.ndarray:
        n = np.cross(self.edge_u, self.edge_v)
        return n / np.linalg.norm(n)


def picture(name: str) -> np.ndarray:
    """A scikit-image sample picture as (H, W, 3) uint8 RGB (grey and binary pictures replicated)."""
    import skimage.data
    img = getattr(skimage.data, name)()
    img = img[0] if isinstance(img, tuple) else img
    img = (img * 255).astype(np.uint8) if img.dtype == bool else img
    return np.repeat(img[..., None], 3, axis=2) if img.ndim == 2 else np.ascontiguousarray(img[..., :3])


def mosaic(names: Sequence[str], width: int, height: int) -> np.ndarray:
    """Pictures side by side (each resized to ``height``, aspect kept), then fitted to ``width`` x ``height``."""
    row = np.concatenate([cv2.resize(p, (max(1, round(p.shape[1] * height / p.shape[0])), height),
                                     interpolation=cv2.INTER_AREA) for p in map(picture, names)], axis=1)
    return cv2.resize(row, (width, height), interpolation=cv2.INTER_AREA if row.shape[1] > width else cv2.INTER_CUBIC)


def make_plane_scene(texels_per_m: float = 64.0) -> List[TexturedPlane]:
    """The planes of :data:`SCENE_LAYOUT` with their textures."""
    planes = []
    for origin, u, v, names in SCENE_LAYOUT:
        u, v = np.asarray(u), np.asarray(v)
        w, h = (max(8, round(np.linalg.norm(e) * texels_per_m)) for e in (u, v))
        planes.append(TexturedPlane(np.asarray(origin, np.float64), u, v, mosaic(names, w, h)))
    return planes


def cast_rays(planes: Sequence[TexturedPlane], origins: np.ndarray,
              dirs: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest ray-plane hits.

    Args:
        origins (ndarray): (N, 3) or (3,) ray origins. dirs (ndarray): (N, 3) directions.

    Returns:
        tuple: ``t`` (N,) ray parameters (``inf`` for a miss), ``plane`` (N,) index of the hit plane (-1 for
        a miss) and ``ab`` (N, 2) the hit's plane coordinates in [0, 1]².
    """
    dirs = np.asarray(dirs, np.float64).reshape(-1, 3)
    origins = np.broadcast_to(np.asarray(origins, np.float64), dirs.shape)
    best_t = np.full(len(dirs), np.inf)
    best_p = np.full(len(dirs), -1, np.int64)
    best_ab = np.zeros((len(dirs), 2))
    for k, pl in enumerate(planes):
        n = pl.normal
        with np.errstate(divide='ignore', invalid='ignore'):  # rays parallel to the plane: t = ±inf or NaN
            t = ((pl.origin - origins) @ n) / (dirs @ n)
            rel = origins + t[:, None] * dirs - pl.origin
            a = rel @ pl.edge_u / (pl.edge_u @ pl.edge_u)
            b = rel @ pl.edge_v / (pl.edge_v @ pl.edge_v)
        hit = np.isfinite(t) & (t > 1e-9) & (t < best_t) & (a >= 0) & (a <= 1) & (b >= 0) & (b <= 1)
        best_t[hit], best_p[hit] = t[hit], k
        best_ab[hit] = np.stack([a[hit], b[hit]], 1)
    return best_t, best_p, best_ab


def pixel_rays(camera: pycolmap.Camera, cam_from_world: pycolmap.Rigid3d,
               points2D: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """World-frame ray origin (3,) and directions (N, 3) through COLMAP pixel coordinates ``points2D`` (N, 2)."""
    xy = camera.cam_from_img(np.ascontiguousarray(points2D, dtype=np.float64).reshape(-1, 2))
    R = cam_from_world.rotation.matrix()
    dirs = np.concatenate([xy, np.ones((len(xy), 1))], 1) @ R  # R^T applied to each row
    return cam_from_world.inverse().translation, dirs


def surface_points(planes: Sequence[TexturedPlane], camera: pycolmap.Camera, cam_from_world: pycolmap.Rigid3d,
                   points2D: np.ndarray) -> np.ndarray:
    """(N, 3) world points seen at COLMAP pixels ``points2D`` (N, 2); NaN where the ray sees the sky."""
    origin, dirs = pixel_rays(camera, cam_from_world, points2D)
    t, _, _ = cast_rays(planes, origin, dirs)
    pts = origin + t[:, None] * dirs
    pts[~np.isfinite(t)] = np.nan
    return pts


def sample_bilinear(texture: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """Bilinear texture lookup (border pixels replicated).

    Args:
        texture (ndarray): (H_t, W_t, 3) uint8. ab (ndarray): (N, 2) plane coordinates in [0, 1]².

    Returns:
        ndarray: (N, 3) float64 colours; texel (col, row) is centred at ``((col + 0.5) / W_t, (row + 0.5) / H_t)``.
    """
    h, w = texture.shape[:2]
    x, y = ab[:, 0] * w - 0.5, ab[:, 1] * h - 0.5
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    xa, xb = np.clip(x0, 0, w - 1).astype(np.int64), np.clip(x0 + 1, 0, w - 1).astype(np.int64)
    ya, yb = np.clip(y0, 0, h - 1).astype(np.int64), np.clip(y0 + 1, 0, h - 1).astype(np.int64)
    tex = texture.astype(np.float64)
    return (tex[ya, xa] * (1 - fx) + tex[ya, xb] * fx) * (1 - fy) + (tex[yb, xa] * (1 - fx) + tex[yb, xb] * fx) * fy


def render_view(planes: Sequence[TexturedPlane], camera: pycolmap.Camera, cam_from_world: pycolmap.Rigid3d,
                supersample: int = 2) -> np.ndarray:
    """Render an (H, W, 3) uint8 RGB image (module doc); pixel (row j, col i) is centred at COLMAP (i+0.5, j+0.5)."""
    if supersample < 1:
        raise ValueError(f'supersample must be >= 1, got {supersample}')
    h, w = camera.height, camera.width
    offsets = (np.arange(supersample) + 0.5) / supersample - 0.5
    jj, ii = np.mgrid[0:h, 0:w].astype(np.float64)
    acc = np.zeros((h * w, 3))
    for dy in offsets:
        for dx in offsets:
            pts = np.stack([ii.ravel() + 0.5 + dx, jj.ravel() + 0.5 + dy], 1)
            origin, dirs = pixel_rays(camera, cam_from_world, pts)
            _, plane, ab = cast_rays(planes, origin, dirs)
            colour = np.broadcast_to(np.asarray(SKY_RGB), (len(pts), 3)).copy()
            for k in np.unique(plane[plane >= 0]):
                sel = plane == k
                colour[sel] = sample_bilinear(planes[k].texture, ab[sel])
            acc += colour
    return np.clip(np.round(acc / supersample**2), 0, 255).astype(np.uint8).reshape(h, w, 3)


def look_rotation(yaw: float, pitch: float = 0.0, roll: float = 0.0) -> np.ndarray:
    """World-to-camera rotation (3, 3) of a camera looking along yaw (degrees from +y towards +x), pitched up
    by ``pitch`` and rolled by ``roll`` degrees about its optical axis (world z up)."""
    y, p, r = np.radians([yaw, pitch, roll])
    fwd = np.array([np.sin(y) * np.cos(p), np.cos(y) * np.cos(p), np.sin(p)])
    right = np.cross(fwd, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    R = np.stack([right, down, fwd])
    c, s = np.cos(r), np.sin(r)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ R


def pose_at(center: np.ndarray, R: np.ndarray) -> pycolmap.Rigid3d:
    """``cam_from_world`` of a camera at ``center`` (3,) with world-to-camera rotation ``R`` (3, 3)."""
    return pycolmap.Rigid3d(pycolmap.Rotation3d(R), -R @ np.asarray(center, np.float64))


def database_poses(num_positions: int, rng: np.random.Generator, yaws: Sequence[float] = (-35.0, 0.0, 35.0),
                   rows: Sequence[float] = (0.0, 3.0)) -> List[pycolmap.Rigid3d]:
    """Database cameras: ``num_positions`` stations along x in [-5, 5] on each row y in ``rows``; every
    station takes one view per yaw of ``yaws``. Each view is moved by up to ±0.4 m horizontally, stands
    1.2-2.2 m high, and its yaw / pitch / roll are jittered by ±8° / -3..8° / ±3°, so no two views share a
    centre and the centres are not coplanar (either would leave tracks with too little parallax)."""
    poses = []
    for y in rows:
        for x in np.linspace(-5.0, 5.0, num_positions):
            for yaw in yaws:
                c = np.array([x + rng.uniform(-0.4, 0.4), y + rng.uniform(-0.4, 0.4), rng.uniform(1.2, 2.2)])
                poses.append(pose_at(c, look_rotation(yaw + rng.uniform(-8, 8), rng.uniform(-3, 8),
                                                      rng.uniform(-3, 3))))
    return poses


def query_poses(num: int, rng: np.random.Generator) -> List[pycolmap.Rigid3d]:
    """Random query cameras around and beyond the database stations: x in [-5.5, 5.5], y in [-1.5, 5] (up to
    2 m closer to the facades than any database view: scale changes), height 1.0-2.4 m, yaw ±45°, pitch
    -8..12°, roll ±8°."""
    return [pose_at(np.array([rng.uniform(-5.5, 5.5), rng.uniform(-1.5, 5.0), rng.uniform(1.0, 2.4)]),
                    look_rotation(rng.uniform(-45, 45), rng.uniform(-8, 12), rng.uniform(-8, 8)))
            for _ in range(num)]
