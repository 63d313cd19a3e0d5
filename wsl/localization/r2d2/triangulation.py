"""Triangulating database keypoints with known poses and intrinsics (COLMAP ``point_triangulator`` in spirit).

Steps:
1. Pairwise matches between database images are checked against the epipolar geometry of the known
   poses (symmetric point-to-epipolar-line distance in pixels). This stands in for COLMAP's geometric
   verification, which re-estimates that geometry by RANSAC (our choice: the poses are known).
2. Tracks are the connected components of the match graph over (image, keypoint) nodes. A component
   holding two keypoints of one image is ambiguous there: all its observations in that image are dropped.
3. Each track is triangulated by pycolmap's LO-RANSAC multi-view triangulation
   (``pycolmap.estimate_triangulation``: minimal two-view samples must satisfy cheirality and the minimal
   triangulation angle; inliers by reprojection error).
4. Filters: every kept observation reprojects within ``max_reproj_error`` px (in front of its camera),
   a track keeps at least ``min_track_length`` observations, and some pair of its viewing rays makes an
   angle of at least ``min_tri_angle`` degrees (COLMAP's small-triangulation-angle filter).

Keypoints are in COLMAP pixel coordinates (the centre of the top-left pixel is (0.5, 0.5)).
"""
import math
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np
import pycolmap
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


@dataclass
class SparseModel:
    """Triangulated database points.

    Attributes:
        xyz (ndarray): (P, 3) world coordinates.
        errors (ndarray): (P,) mean reprojection error of each point's observations (px).
        obs_point (ndarray): (M,) point index of every observation, sorted.
        obs_image (ndarray): (M,) database image index of every observation.
        obs_keypoint (ndarray): (M,) keypoint index of every observation in its image.
        point3D_ids (list): per database image an (N_i,) int64 array, the point observed by each
            keypoint or -1.
    """
    xyz: np.ndarray
    errors: np.ndarray
    obs_point: np.ndarray
    obs_image: np.ndarray
    obs_keypoint: np.ndarray
    point3D_ids: List[np.ndarray]

    @property
    def track_lengths(self) -> np.ndarray:
        """(P,) number of observations per point."""
        return np.bincount(self.obs_point, minlength=len(self.xyz))


def epipolar_errors(kp1: np.ndarray, kp2: np.ndarray, camera1: pycolmap.Camera, camera2: pycolmap.Camera,
                    cam1_from_world: pycolmap.Rigid3d, cam2_from_world: pycolmap.Rigid3d) -> np.ndarray:
    """Symmetric epipolar distance of corresponding points under known poses.

    Args:
        kp1 (ndarray): (K, 2) points of image 1 (COLMAP pixels); kp2 (ndarray): (K, 2) of image 2.

    Returns:
        ndarray: (K,) ``max(d1·f1, d2·f2)`` where ``d_i`` is the distance of the undistorted point to its
        epipolar line in normalised coordinates and ``f_i`` the mean focal length (≈ pixels). ``inf`` when
        undefined (zero baseline, unprojectable point).
    """
    if len(kp1) == 0:
        return np.zeros(0)
    x1 = np.concatenate([camera1.cam_from_img(np.ascontiguousarray(kp1, np.float64)), np.ones((len(kp1), 1))], 1)
    x2 = np.concatenate([camera2.cam_from_img(np.ascontiguousarray(kp2, np.float64)), np.ones((len(kp2), 1))], 1)
    rel = (cam2_from_world * cam1_from_world.inverse()).matrix()
    tx, ty, tz = rel[:, 3]
    scale = max(1.0, np.linalg.norm(cam1_from_world.translation), np.linalg.norm(cam2_from_world.translation))
    if np.linalg.norm(rel[:, 3]) <= 1e-9 * scale:  # same centre: no epipolar geometry
        return np.full(len(kp1), np.inf)
    E = np.array([[0, -tz, ty], [tz, 0, -tx], [-ty, tx, 0]]) @ rel[:, :3]  # x2ᵀ E x1 = 0; zero without baseline
    l2, l1 = x1 @ E.T, x2 @ E  # lines in image 2 and image 1
    num = np.abs((x2 * l2).sum(1))
    with np.errstate(divide='ignore', invalid='ignore'):
        d = np.maximum(num / np.linalg.norm(l2[:, :2], axis=1) * camera2.mean_focal_length(),
                       num / np.linalg.norm(l1[:, :2], axis=1) * camera1.mean_focal_length())
    return np.where(np.isfinite(d), d, np.inf)


def build_tracks(num_keypoints: Sequence[int],
                 matches: Dict[Tuple[int, int], np.ndarray]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tracks as connected components of the keypoint match graph.

    Args:
        num_keypoints: keypoints per image.
        matches: ``(image_i, image_j) -> (K, 2)`` keypoint index pairs.

    Returns:
        tuple: ``(track, image, keypoint)`` (M,) int64 arrays sorted by track then image; every track has
        at least two observations in distinct images (ambiguous observations removed, see module doc).
    """
    offsets = np.concatenate([[0], np.cumsum(num_keypoints)]).astype(np.int64)
    edges = []
    for (i, j), m in matches.items():
        m = np.asarray(m, dtype=np.int64).reshape(-1, 2)
        if len(m) and (m[:, 0].max() >= num_keypoints[i] or m[:, 1].max() >= num_keypoints[j] or m.min() < 0):
            raise ValueError(f'matches of images ({i}, {j}) index past their {num_keypoints[i]} / '
                             f'{num_keypoints[j]} keypoints')
        edges.append(np.stack([m[:, 0] + offsets[i], m[:, 1] + offsets[j]], 1))
    empty = np.zeros(0, np.int64)
    if not edges or not sum(len(e) for e in edges):
        return empty, empty, empty
    edges = np.concatenate(edges)
    nodes, inverse = np.unique(edges, return_inverse=True)
    inverse = inverse.reshape(-1, 2)
    graph = coo_matrix((np.ones(len(edges)), (inverse[:, 0], inverse[:, 1])), shape=(len(nodes), len(nodes)))
    _, labels = connected_components(graph, directed=False)
    image = np.searchsorted(offsets, nodes, side='right') - 1
    keypoint = nodes - offsets[image]
    order = np.lexsort((keypoint, image, labels))
    labels, image, keypoint = labels[order], image[order], keypoint[order]
    # drop every observation of an image that appears twice in one track
    key = labels.astype(np.int64) * (len(offsets) - 1) + image
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    dup = np.zeros(len(key), bool)
    dup[np.repeat(counts > 1, counts)] = True
    labels, image, keypoint = labels[~dup], image[~dup], keypoint[~dup]
    sizes = np.bincount(labels, minlength=labels.max() + 1 if len(labels) else 0)
    keep = sizes[labels] >= 2
    labels, image, keypoint = labels[keep], image[keep], keypoint[keep]
    _, track = np.unique(labels, return_inverse=True)
    return track.astype(np.int64), image.astype(np.int64), keypoint.astype(np.int64)


def max_triangulation_angle(xyz: np.ndarray, centers: np.ndarray) -> float:
    """Largest angle (degrees) between the rays from ``xyz`` (3,) to the camera ``centers`` (L, 3)."""
    rays = centers - xyz
    rays = rays / np.linalg.norm(rays, axis=1, keepdims=True)
    cos = np.clip(rays @ rays.T, -1.0, 1.0)
    return float(np.degrees(np.arccos(cos.min()))) if len(rays) > 1 else 0.0


def reprojection_errors(xyz: np.ndarray, points2D: np.ndarray, camera: pycolmap.Camera,
                        cam_from_world: pycolmap.Rigid3d) -> np.ndarray:
    """(K,) pixel distance between the projections of ``xyz`` (K, 3) and ``points2D`` (K, 2); ``inf``
    for points behind the camera."""
    cam_points = cam_from_world * np.ascontiguousarray(xyz, np.float64).reshape(-1, 3)
    proj = camera.img_from_cam(np.ascontiguousarray(cam_points))
    err = np.linalg.norm(proj - points2D, axis=1)
    return np.where(np.isfinite(err), err, np.inf)


def triangulate_tracks(track: np.ndarray, image: np.ndarray, keypoint: np.ndarray, keypoints: Sequence[np.ndarray],
                       cameras: Sequence[pycolmap.Camera], poses: Sequence[pycolmap.Rigid3d],
                       max_reproj_error: float = 4.0, min_tri_angle: float = 1.5, min_track_length: int = 2,
                       seed: int = 0) -> SparseModel:
    """Triangulate tracks (from :func:`build_tracks`) and filter them (see the module doc).

    Args:
        keypoints: per image (N_i, 2) keypoints in COLMAP pixels.
        cameras, poses: per image intrinsics and ``cam_from_world``.
        max_reproj_error (float): px, RANSAC inlier threshold and final filter.
        min_tri_angle (float): degrees.
        min_track_length (int): observations a point keeps at least (>= 2).
        seed (int): RANSAC random seed.
    """
    if min_track_length < 2:
        raise ValueError(f'min_track_length must be >= 2, got {min_track_length}')
    opts = pycolmap.EstimateTriangulationOptions()
    opts.residual_type = pycolmap.TriangulationResidualType.REPROJECTION_ERROR
    opts.min_tri_angle = math.radians(min_tri_angle)
    opts.ransac.max_error = max_reproj_error
    opts.ransac.random_seed = seed
    centers = np.stack([p.inverse().translation for p in poses]) if len(poses) else np.zeros((0, 3))
    starts = np.flatnonzero(np.r_[True, track[1:] != track[:-1]]) if len(track) else np.zeros(0, np.int64)
    ends = np.r_[starts[1:], len(track)]
    xyz_list, obs = [], []
    for s, e in zip(starts, ends):
        ims, kps = image[s:e], keypoint[s:e]
        pts = np.stack([keypoints[i][k] for i, k in zip(ims, kps)]).astype(np.float64)
        res = pycolmap.estimate_triangulation(pts, [poses[i] for i in ims], [cameras[i] for i in ims], opts)
        if res is None:
            continue
        inl = np.asarray(res['inliers'], bool)
        if inl.sum() < min_track_length:
            continue
        obs.append(np.stack([np.full(int(inl.sum()), len(xyz_list)), ims[inl], kps[inl]], 1))
        xyz_list.append(np.asarray(res['xyz'], np.float64).reshape(3))
    xyz = np.array(xyz_list, np.float64).reshape(-1, 3)
    obs = np.concatenate(obs) if obs else np.zeros((0, 3), np.int64)
    # reprojection filter, vectorised per image
    err = np.full(len(obs), np.inf)
    for i in np.unique(obs[:, 1]):
        sel = obs[:, 1] == i
        err[sel] = reprojection_errors(xyz[obs[sel, 0]], keypoints[i][obs[sel, 2]], cameras[i], poses[i])
    keep_obs = err <= max_reproj_error
    obs, err = obs[keep_obs], err[keep_obs]
    counts = np.bincount(obs[:, 0], minlength=len(xyz))
    good = counts >= min_track_length
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    for p in np.flatnonzero(good):
        seg = obs[starts[p]:starts[p] + counts[p], 1]
        if max_triangulation_angle(xyz[p], centers[seg]) < min_tri_angle:
            good[p] = False
    obs, err = obs[good[obs[:, 0]]], err[good[obs[:, 0]]]
    new_id = np.cumsum(good) - 1
    obs_point = new_id[obs[:, 0]]
    xyz = xyz[good]
    errors = np.bincount(obs_point, weights=err, minlength=len(xyz)) / np.maximum(
        np.bincount(obs_point, minlength=len(xyz)), 1)
    point3D_ids = [np.full(len(k), -1, np.int64) for k in keypoints]
    for p, i, k in zip(obs_point, obs[:, 1], obs[:, 2]):
        point3D_ids[i][k] = p
    return SparseModel(xyz=xyz, errors=errors, obs_point=obs_point.astype(np.int64),
                       obs_image=obs[:, 1].astype(np.int64), obs_keypoint=obs[:, 2].astype(np.int64),
                       point3D_ids=point3D_ids)


def triangulate_database(keypoints: Sequence[np.ndarray], cameras: Sequence[pycolmap.Camera],
                         poses: Sequence[pycolmap.Rigid3d], matches: Dict[Tuple[int, int], np.ndarray],
                         max_epipolar_error: float = 4.0, max_reproj_error: float = 4.0, min_tri_angle: float = 1.5,
                         min_track_length: int = 2, seed: int = 0) -> Tuple[SparseModel, Dict[str, int]]:
    """Epipolar check, tracks, triangulation and filters for a posed database (module doc, steps 1-4).

    Args:
        keypoints: per image (N_i, 2) keypoints in COLMAP pixels.
        cameras, poses: per image intrinsics and ``cam_from_world``.
        matches: ``(i, j) -> (K, 2)`` keypoint index pairs between database images i and j.
        max_epipolar_error (float, optional): px; None keeps every match.

    Returns:
        tuple: the :class:`SparseModel` and counts (``num_matches``, ``num_verified_matches``,
        ``num_tracks``, ``num_points3D``, ``num_observations``).
    """
    verified, n_raw, n_ok = {}, 0, 0
    for (i, j), m in matches.items():
        m = np.asarray(m, np.int64).reshape(-1, 2)
        n_raw += len(m)
        if max_epipolar_error is not None and len(m):
            err = epipolar_errors(keypoints[i][m[:, 0]], keypoints[j][m[:, 1]], cameras[i], cameras[j], poses[i],
                                  poses[j])
            m = m[err <= max_epipolar_error]
        n_ok += len(m)
        verified[(i, j)] = m
    track, image, keypoint = build_tracks([len(k) for k in keypoints], verified)
    model = triangulate_tracks(track, image, keypoint, keypoints, cameras, poses, max_reproj_error, min_tri_angle,
                               min_track_length, seed)
    stats = dict(num_matches=n_raw, num_verified_matches=n_ok, num_tracks=int(track.max() + 1) if len(track) else 0,
                 num_points3D=len(model.xyz), num_observations=len(model.obs_point))
    return model, stats
