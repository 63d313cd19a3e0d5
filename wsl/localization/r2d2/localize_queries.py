"""Visual localization against a posed database with pycolmap (hloc's ``localize_sfm`` recipe).

Pipeline (what the Aachen local-feature challenge runs through COLMAP, done in Python):
1. mutual-nearest-neighbour matching (:mod:`.matching`) of the listed database-database pairs;
2. triangulation with the known database poses and intrinsics (:mod:`.triangulation`);
3. per query, MNN matches to its paired database images; every database keypoint with a 3D point gives a
   2D-3D correspondence, de-duplicated per (query keypoint, 3D point);
4. ``pycolmap.estimate_and_refine_absolute_pose`` (LO-RANSAC P3P + non-linear refinement) with the query's
   intrinsics fixed.

The official challenge instead imports matches into a COLMAP database and runs ``point_triangulator`` and
``image_registrator``; this pipeline is equivalent in spirit, not identical (pycolmap has no
``image_registrator``). Features come from any extractor that writes keypoints (pixel indices: centres at
integers) and descriptors; ``keypoint_offset`` (0.5, as hloc) moves them to COLMAP pixels.
"""
from collections import OrderedDict
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import pycolmap
import torch

from .matching import match_mutual_nn
from .triangulation import triangulate_database

LOCALIZATION_DEFAULTS = dict(
    keypoint_offset=0.5,  # pixel indices -> COLMAP pixels (hloc adds 0.5; the official script adds nothing)
    ratio=None,  # MNN only, the challenge's matcher; e.g. 0.9 enables Lowe's ratio test
    min_similarity=None,  # minimal descriptor dot product of a match (None: any)
    max_epipolar_error=4.0,  # px; known-pose check of database matches (our stand-in for geometric verification)
    max_reproj_error=4.0,  # px; triangulation inlier threshold and filter (COLMAP triangulator: 4 px)
    min_tri_angle=1.5,  # degrees; COLMAP's minimal triangulation angle
    min_track_length=2,  # observations per 3D point
    ransac_max_error=12.0,  # px; absolute-pose RANSAC threshold (hloc and pycolmap default)
    min_num_inliers=0,  # accept any pose pycolmap returns (hloc); COLMAP's image_registrator would need 30
    refine_focal_length=False,  # intrinsics are known (challenge setting)
    refine_extra_params=False,
    seed=0,  # RANSAC seed (triangulation and pose)
    device='cpu',  # matching device
    cache_size=32)  # descriptor arrays kept in memory


def check_localization_cfg(cfg: Optional[Mapping]) -> dict:
    """``LOCALIZATION_DEFAULTS`` updated by ``cfg``; raises on unknown keys."""
    cfg = dict(cfg or {})
    unknown = sorted(set(cfg) - set(LOCALIZATION_DEFAULTS))
    if unknown:
        raise ValueError(f'unknown localization settings {unknown}; known: {sorted(LOCALIZATION_DEFAULTS)}')
    return {**LOCALIZATION_DEFAULTS, **cfg}


def query_correspondences(matches: Sequence[np.ndarray],
                          point3D_ids: Sequence[np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
    """2D-3D correspondences of a query from its matches to database images.

    Args:
        matches: per paired database image, (K, 2) index pairs (query keypoint, database keypoint).
        point3D_ids: per paired database image, its (N_db,) keypoint -> 3D point id array (-1: none).

    Returns:
        tuple: ``(query_keypoint, point3D)`` (M,) int64 arrays, unique pairs sorted by query keypoint (a
        query keypoint may map to several 3D points; RANSAC picks among them, as in hloc).
    """
    pairs = []
    for m, ids in zip(matches, point3D_ids):
        m = np.asarray(m, np.int64).reshape(-1, 2)
        p3d = ids[m[:, 1]]
        pairs.append(np.stack([m[p3d >= 0, 0], p3d[p3d >= 0]], 1))
    pairs = np.unique(np.concatenate(pairs), axis=0) if pairs else np.zeros((0, 2), np.int64)
    return pairs[:, 0], pairs[:, 1]


def estimate_query_pose(points2D: np.ndarray, points3D: np.ndarray, camera: pycolmap.Camera,
                        ransac_max_error: float = 12.0, min_num_inliers: int = 0, refine_focal_length: bool = False,
                        refine_extra_params: bool = False, seed: int = 0) -> Optional[dict]:
    """Absolute pose by ``pycolmap.estimate_and_refine_absolute_pose``.

    Args:
        points2D (ndarray): (M, 2) COLMAP pixels. points3D (ndarray): (M, 3) world points.
        camera (pycolmap.Camera): the query's intrinsics.
        ransac_max_error (float): px.
        min_num_inliers (int): poses with fewer inliers count as failures.

    Returns:
        dict or None: ``cam_from_world`` (``pycolmap.Rigid3d``), ``num_inliers``, ``inlier_mask`` (M,);
        None when fewer than 4 correspondences, RANSAC fails or the inliers are too few.
    """
    points2D = np.ascontiguousarray(points2D, dtype=np.float64).reshape(-1, 2)
    points3D = np.ascontiguousarray(points3D, dtype=np.float64).reshape(-1, 3)
    if len(points2D) != len(points3D):
        raise ValueError(f'{len(points2D)} 2D points but {len(points3D)} 3D points')
    if len(points2D) < 4:
        return None
    res = pycolmap.estimate_and_refine_absolute_pose(
        points2D, points3D, camera,
        estimation_options=dict(ransac=dict(max_error=float(ransac_max_error), random_seed=int(seed))),
        refinement_options=dict(refine_focal_length=refine_focal_length, refine_extra_params=refine_extra_params))
    if res is None or res['num_inliers'] < max(min_num_inliers, 1):
        return None
    return dict(cam_from_world=res['cam_from_world'], num_inliers=int(res['num_inliers']),
                inlier_mask=np.asarray(res['inlier_mask'], bool))


def exhaustive_pairs(db_names: Sequence[str], query_names: Sequence[str]) -> List[Tuple[str, str]]:
    """Every database pair and every (query, database) pair."""
    db = list(db_names)
    return [(a, b) for i, a in enumerate(db) for b in db[i + 1:]] + [(q, d) for q in query_names for d in db]


def split_pairs(pairs: Sequence[Tuple[str, str]], db_names: Sequence[str],
                query_names: Sequence[str]) -> Tuple[List[Tuple[str, str]], Dict[str, List[str]]]:
    """Sort image pairs into database-database pairs and per-query database lists.

    Duplicates (in either order) are removed; query-query pairs are ignored.

    Raises:
        ValueError: a pair names an image that is neither a database image nor a query.
    """
    db, queries = set(db_names), set(query_names)
    unknown = sorted({n for p in pairs for n in p if n not in db and n not in queries})
    if unknown:
        raise ValueError(f'{len(unknown)} image(s) in the pairs are neither database images nor queries, e.g. '
                         f'{unknown[:3]}')
    db_pairs, seen, per_query = [], set(), {q: [] for q in query_names}
    for a, b in pairs:
        if a in db and b in db:
            if a != b and (a, b) not in seen and (b, a) not in seen:
                seen.add((a, b))
                db_pairs.append((a, b))
        elif (a in queries) != (b in queries):
            q, d = (a, b) if a in queries else (b, a)
            if d not in per_query[q]:
                per_query[q].append(d)
    return db_pairs, per_query


def localize(db_cameras: Mapping[str, pycolmap.Camera], db_poses: Mapping[str, pycolmap.Rigid3d],
             query_cameras: Mapping[str, pycolmap.Camera], load_features: Callable[[str], Mapping[str, np.ndarray]],
             pairs: Optional[Sequence[Tuple[str, str]]] = None, cfg: Optional[Mapping] = None,
             log: Optional[Callable[[str], None]] = None) -> Dict[str, object]:
    """Triangulate the database and localize every query (module doc).

    Args:
        db_cameras, db_poses: database intrinsics and ``cam_from_world`` poses by image name (same keys).
        query_cameras: query intrinsics by image name.
        load_features: ``name -> dict(keypoints (N, >=2) pixel indices, descriptors (N, D))``.
        pairs: image pairs to match (database-database and query-database); None: all of them.
        cfg: overrides of :data:`LOCALIZATION_DEFAULTS`.

    Returns:
        dict: ``results`` ``{query: dict(cam_from_world (Rigid3d or None), num_inliers, num_correspondences,
        num_matches)}``, ``poses`` ``{query: Rigid3d}`` of the localized queries, ``model``
        (:class:`~.triangulation.SparseModel` over ``db_names``), ``db_names`` and ``stats``.
    """
    cfg = check_localization_cfg(cfg)
    missing = sorted(set(db_poses) ^ set(db_cameras))
    if missing:
        raise ValueError(f'database poses and intrinsics must name the same images; unmatched: {missing[:5]}')
    db_names = sorted(db_poses)
    query_names = list(query_cameras)
    clash = sorted(set(db_names) & set(query_names))
    if clash:
        raise ValueError(f'images listed both as database and query: {clash[:5]}')
    db_pairs, per_query = split_pairs(exhaustive_pairs(db_names, query_names) if pairs is None else pairs, db_names,
                                      query_names)
    index = {n: i for i, n in enumerate(db_names)}
    device = torch.device(cfg['device'])

    def feats(name: str) -> Tuple[np.ndarray, torch.Tensor]:
        f = load_features(name)
        kps = np.asarray(f['keypoints'], np.float64)[:, :2] + cfg['keypoint_offset']
        return kps, torch.as_tensor(np.asarray(f['descriptors']), dtype=torch.float32, device=device)

    def match(d1: torch.Tensor, d2: torch.Tensor) -> np.ndarray:
        return match_mutual_nn(d1, d2, cfg['ratio'], cfg['min_similarity']).cpu().numpy()

    cache: 'OrderedDict[str, torch.Tensor]' = OrderedDict()  # least recently used descriptors are dropped

    def remember(name: str, desc: torch.Tensor) -> torch.Tensor:
        cache[name] = desc
        if len(cache) > cfg['cache_size']:
            cache.popitem(last=False)
        return desc

    def descriptors(name: str) -> torch.Tensor:
        if name in cache:
            cache.move_to_end(name)
            return cache[name]
        return remember(name, feats(name)[1])

    # 1-2: database matching and triangulation
    keypoints = []
    for n in db_names:
        kps, desc = feats(n)
        keypoints.append(kps)
        remember(n, desc)
    matches = {}
    for a, b in sorted(db_pairs, key=lambda p: index[p[0]]):
        da = descriptors(a)
        matches[(index[a], index[b])] = match(da, descriptors(b))
    model, stats = triangulate_database(keypoints, [db_cameras[n] for n in db_names],
                                        [db_poses[n] for n in db_names], matches, cfg['max_epipolar_error'],
                                        cfg['max_reproj_error'], cfg['min_tri_angle'], cfg['min_track_length'],
                                        cfg['seed'])
    if log is not None:
        log(f'database: {len(db_names)} images, {len(db_pairs)} pairs, {stats["num_points3D"]} 3D points '
            f'(mean track length {np.mean(model.track_lengths) if len(model.xyz) else 0:.2f})')
    # 3-4: queries
    results, poses = {}, {}
    for q in query_names:
        q_kps, q_desc = feats(q)
        ms, ids = [], []
        for d in per_query[q]:
            ms.append(match(q_desc, descriptors(d)))
            ids.append(model.point3D_ids[index[d]])
        kp_idx, p3d = query_correspondences(ms, ids)
        est = estimate_query_pose(q_kps[kp_idx], model.xyz[p3d], query_cameras[q], cfg['ransac_max_error'],
                                  cfg['min_num_inliers'], cfg['refine_focal_length'], cfg['refine_extra_params'],
                                  cfg['seed'])
        results[q] = dict(cam_from_world=None if est is None else est['cam_from_world'],
                          num_inliers=0 if est is None else est['num_inliers'], num_correspondences=len(kp_idx),
                          num_matches=int(sum(len(m) for m in ms)))
        if est is not None:
            poses[q] = est['cam_from_world']
        if log is not None:
            log(f'{q}: {results[q]["num_matches"]} matches, {len(kp_idx)} 2D-3D, {results[q]["num_inliers"]} inliers'
                + ('' if est is not None else ' (failed)'))
    stats.update(num_db_images=len(db_names), num_db_pairs=len(db_pairs), num_queries=len(query_names),
                 num_localized=len(poses),
                 mean_track_length=float(np.mean(model.track_lengths)) if len(model.xyz) else 0.0)
    return dict(results=results, poses=poses, model=model, db_names=db_names, stats=stats)


def localize_from_files(features: str, queries: Sequence[str], db_intrinsics: Optional[str] = None,
                        db_poses: Optional[str] = None, db_nvm: Optional[str] = None, db_colmap: Optional[str] = None,
                        pairs: Optional[str] = None, cfg: Optional[Mapping] = None,
                        log: Optional[Callable[[str], None]] = None) -> Dict[str, object]:
    """:func:`localize` on files in the Aachen layout (formats in :mod:`.aachen`).

    Args:
        features (str): a folder of ``<image name>.npz`` or an hloc-layout ``.h5`` file (:mod:`.feature_sources`).
        queries: query lists with intrinsics (``name MODEL W H params...``), e.g. the day and night lists.
        db_intrinsics, db_poses, db_nvm, db_colmap: the database, see :func:`~.aachen.read_database_model`.
        pairs (str, optional): a ``name1 name2`` pair list; None matches every pair.

    Returns:
        dict: as :func:`localize`, plus ``query_cameras``.
    """
    from .aachen import read_database_model, read_intrinsics_list, read_pairs
    from .feature_sources import open_feature_loader
    db_cameras, poses = read_database_model(db_intrinsics, db_poses, db_nvm, db_colmap)
    query_cameras: Dict[str, pycolmap.Camera] = {}
    for path in queries:
        for name, cam in read_intrinsics_list(path).items():
            if name in query_cameras:
                raise ValueError(f'{path}: query {name!r} is also listed in an earlier query list')
            query_cameras[name] = cam
    out = localize(db_cameras, poses, query_cameras, open_feature_loader(features),
                   None if pairs is None else read_pairs(pairs), cfg, log)
    out['query_cameras'] = query_cameras
    return out
