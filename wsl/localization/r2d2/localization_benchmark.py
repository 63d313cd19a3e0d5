"""``wsl bench r2d2ctx-localization``: end-to-end visual localization on a generated scene with known geometry.

A textured-plane square (:mod:`.plane_scene`) is rendered exactly from database views (known poses and
intrinsics) and from query views between them: "day" queries under the database's lighting and "night"
queries darkened, gamma-shifted, colour-cast and noisy. The scene is written in the Aachen Day-Night layout
(image lists with intrinsics, database poses, pair list, ground truth) and localized through the same
code as ``tools/localize.py``: MNN matching, triangulation with the known database poses, and
``pycolmap.estimate_and_refine_absolute_pose`` per query. Reported per feature type and query subset:
the fraction of queries within (0.25 m, 2°) / (0.5 m, 5°) / (5 m, 10°) and the seed paper's
(0.5 m, 2°) / (1 m, 5°) / (5 m, 10°), median errors, and the accuracy of the triangulated points against
the true surfaces. The table shows the (5 m, 10°) column once (both sets share it).

Features: the released R2D2 weights (``r2d2_WASF_N16.pt``, converted with the repository's converter;
skipped with a message when the file is absent) with the official extraction settings, and RootSIFT
(OpenCV) as a classical baseline. Briefly trained R2D2 / +LG / +LG+MA models are not included: the
MMA benchmark's quick training (20 steps) gives untrained features and its full training needs hours on a
CPU; localize such a model with ``tools/extract_features.py`` and ``tools/localize.py`` on this scene instead.
Absolute-pose RANSAC threshold: hloc's 12 px scaled from Aachen's 1600 px to the rendered size (at least
3 px). Database pairs: the 10 nearest database views (camera centres) whose optical axes differ by < 60°; every
query is matched with every database view (no retrieval, no ground truth used).
"""
import json
import os
import os.path as osp
import time
from typing import Callable, Dict, List, Sequence

import cv2
import numpy as np
import pycolmap

from wsl.benchmarks import register_benchmark
from .aachen import make_camera, write_intrinsics_list, write_pairs, write_poses
from .feature_files import list_images, load_rgb, save_features_npz
from .localize_queries import localize_from_files
from .plane_scene import database_poses, make_plane_scene, query_poses, render_view, surface_points
from .pose_accuracy import AACHEN_THRESHOLDS, SEED_PAPER_THRESHOLDS, accuracy_report, threshold_key
from .sift import rootsift_features

SETTINGS = dict(quick=dict(width=320, height=240, num_positions=3, num_queries=8, supersample=2, top_k=5000),
                full=dict(width=640, height=480, num_positions=6, num_queries=24, supersample=2, top_k=5000))
DB_NEIGHBOURS, DB_MAX_AXIS_ANGLE = 10, 60.0


def night_version(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 'night' copy of an (H, W, 3) uint8 image: gamma 1.5-2.2, gain 0.25-0.5, a warm cast, the glow of a
    street lamp (a Gaussian blob of warm light, σ = 0.15-0.35 W, at a random place) and noise σ = 5."""
    h, w = img.shape[:2]
    x = (img.astype(np.float64) / 255)**rng.uniform(1.5, 2.2) * rng.uniform(0.25, 0.5)
    yy, xx = np.mgrid[0:h, 0:w]
    cx, cy, s = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.15, 0.35) * w
    glow = rng.uniform(0.8, 1.6) * np.exp(-((xx - cx)**2 + (yy - cy)**2) / (2 * s**2))
    x = x * (1 + glow[..., None]) * np.array([1.1, 0.95, 0.75]) * 255 + rng.normal(0, 5.0, img.shape)
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def covisible_pairs(poses: Dict[str, pycolmap.Rigid3d], k: int = DB_NEIGHBOURS,
                    max_axis_angle: float = DB_MAX_AXIS_ANGLE) -> List[tuple]:
    """Each image with its ``k`` nearest images (camera centres) whose optical axes differ by < ``max_axis_angle``°;
    unordered pairs, each once."""
    names = sorted(poses)
    centres = np.stack([poses[n].inverse().translation for n in names])
    axes = np.stack([poses[n].rotation.matrix()[2] for n in names])
    dist = np.linalg.norm(centres[:, None] - centres[None], axis=2)
    dist[axes @ axes.T < np.cos(np.radians(max_axis_angle))] = np.inf
    np.fill_diagonal(dist, np.inf)
    pairs = set()
    for i in range(len(names)):
        for j in np.argsort(dist[i], kind='stable')[:k]:
            if np.isfinite(dist[i, j]):
                pairs.add((min(i, j), max(i, j)))
    return [(names[i], names[j]) for i, j in sorted(pairs)]


def make_localization_scene(root: str, width: int = 320, height: int = 240, num_positions: int = 3,
                            num_queries: int = 8, seed: int = 0, supersample: int = 2) -> Dict[str, object]:
    """Render the scene and write it in the Aachen layout under ``root``.

    Files: ``images/db/NNN.png``, ``images/query/{day,night}/NNN.png``, ``3D-models/database_intrinsics.txt``
    and ``3D-models/database_poses.txt``, ``queries/{day,night}_time_queries_with_intrinsics.txt``,
    ``queries/gt_poses.txt`` (full names) and ``image_pairs_to_match.txt``. Database cameras are
    SIMPLE_RADIAL with f = 0.8 W and k = 0; queries have f in [0.7, 0.95] W and k in [-0.05, 0.05].

    Returns:
        dict: the file paths (``images``, ``db_intrinsics``, ``db_poses``, ``queries``, ``gt``, ``pairs``),
        ``planes``, ``db_cameras``/``db_cam_from_world`` and ``query_cameras``/``query_cam_from_world``
        (name -> pycolmap objects) and ``subsets`` ``{'day': [...], 'night': [...]}``.
    """
    rng = np.random.default_rng(seed)
    planes = make_plane_scene()
    db_cam = make_camera('SIMPLE_RADIAL', width, height, [0.8 * width, width / 2, height / 2, 0.0])
    db_poses = {f'db/{i:03d}.png': p for i, p in enumerate(database_poses(num_positions, rng))}
    db_cams = {n: db_cam for n in db_poses}
    q_poses, q_cams, subsets = {}, {}, dict(day=[], night=[])
    for i, p in enumerate(query_poses(num_queries, rng)):
        name = f'query/{"day" if i % 2 == 0 else "night"}/{i:03d}.png'
        q_poses[name] = p
        q_cams[name] = make_camera('SIMPLE_RADIAL', width, height, [rng.uniform(0.7, 0.95) * width, width / 2,
                                                                    height / 2, rng.uniform(-0.05, 0.05)])
        subsets[name.split('/')[1]].append(name)
    for name, pose in list(db_poses.items()) + list(q_poses.items()):
        img = render_view(planes, (db_cams if name in db_cams else q_cams)[name], pose, supersample)
        if '/night/' in name:
            img = night_version(img, rng)
        path = osp.join(root, 'images', name)
        os.makedirs(osp.dirname(path), exist_ok=True)
        cv2.imwrite(path, cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    files = dict(images=osp.join(root, 'images'),
                 db_intrinsics=osp.join(root, '3D-models', 'database_intrinsics.txt'),
                 db_poses=osp.join(root, '3D-models', 'database_poses.txt'),
                 queries=[osp.join(root, 'queries', f'{s}_time_queries_with_intrinsics.txt') for s in ('day', 'night')],
                 gt=osp.join(root, 'queries', 'gt_poses.txt'), pairs=osp.join(root, 'image_pairs_to_match.txt'))
    write_intrinsics_list(files['db_intrinsics'], db_cams)
    write_poses(files['db_poses'], db_poses, basename=False)
    for s, path in zip(('day', 'night'), files['queries']):
        write_intrinsics_list(path, {n: q_cams[n] for n in subsets[s]})
    write_poses(files['gt'], q_poses, basename=False)
    write_pairs(files['pairs'], covisible_pairs(db_poses) + [(q, d) for q in q_poses for d in sorted(db_poses)])
    return dict(files, planes=planes, db_cameras=db_cams, db_cam_from_world=db_poses, query_cameras=q_cams,
                query_cam_from_world=q_poses, subsets=subsets)


def extract_to_folder(image_root: str, out_dir: str, extract: Callable[[np.ndarray], dict]) -> Dict[str, float]:
    """Run ``extract(rgb) -> dict(keypoints, scores, descriptors)`` on every image; write ``<name>.npz``."""
    names, n_kp, t0 = list_images(image_root), [], time.perf_counter()
    for name in names:
        rgb = np.array(load_rgb(osp.join(image_root, name)))  # writable
        feats = extract(rgb)
        save_features_npz(osp.join(out_dir, name + '.npz'), feats, (rgb.shape[1], rgb.shape[0]))
        n_kp.append(len(feats['scores']))
    return dict(images_per_s=len(names) / (time.perf_counter() - t0), mean_keypoints=float(np.mean(n_kp)))


def point_errors(model, db_names: Sequence[str], scene: dict, features_dir: str) -> np.ndarray:
    """(P,) distance of each triangulated point to the true surface along its observation rays (median over
    observations); NaN where every ray sees the sky."""
    from .feature_files import load_features_npz
    per_obs = np.full(len(model.obs_point), np.nan)
    for i, name in enumerate(db_names):
        sel = np.flatnonzero(model.obs_image == i)
        if len(sel):
            kps = load_features_npz(osp.join(features_dir, name + '.npz'))['keypoints'][model.obs_keypoint[sel], :2]
            gt = surface_points(scene['planes'], scene['db_cameras'][name], scene['db_cam_from_world'][name],
                                kps + 0.5)
            per_obs[sel] = np.linalg.norm(gt - model.xyz[model.obs_point[sel]], axis=1)
    out = np.full(len(model.xyz), np.nan)
    order = np.argsort(model.obs_point, kind='stable')
    groups = np.split(per_obs[order], np.cumsum(np.bincount(model.obs_point, minlength=len(model.xyz)))[:-1])
    for p, vals in enumerate(groups):
        vals = vals[np.isfinite(vals)]
        if len(vals):
            out[p] = np.median(vals)
    return out


def ransac_threshold(long_side: int) -> float:
    """The absolute-pose RANSAC threshold: hloc's 12 px at Aachen's 1600 px, scaled to the image size (>= 3 px)."""
    return max(3.0, 12.0 * long_side / 1600)


def evaluate_features(scene: dict, features_dir: str, seed: int = 0, cfg: dict = None) -> Dict[str, object]:
    """Localize the scene's queries from ``features_dir`` and score them (all / day / night)."""
    res = localize_from_files(features_dir, scene['queries'], scene['db_intrinsics'], scene['db_poses'],
                              pairs=scene['pairs'], cfg=dict(cfg or {}, seed=seed))
    err = point_errors(res['model'], res['db_names'], scene, features_dir)
    out: Dict[str, object] = dict(num_points3D=len(res['model'].xyz),
                                  mean_track_length=res['stats']['mean_track_length'],
                                  point_err_median_m=float(np.nanmedian(err)) if np.isfinite(err).any() else None,
                                  points_within_10cm=float(np.mean(err <= 0.1)) if len(err) else 0.0)
    for subset, names in (('all', list(scene['query_cam_from_world'])), *scene['subsets'].items()):
        rep = accuracy_report(res['poses'], {n: scene['query_cam_from_world'][n] for n in names}, AACHEN_THRESHOLDS,
                              SEED_PAPER_THRESHOLDS)
        rep.pop('per_query'), rep.pop('num_without_gt')
        out[subset] = rep
    return out


def _row(tag: str, subset: str, r: dict, s: dict) -> str:
    acc = ''.join(f'{100 * s[threshold_key(*t)]:>9.1f}' for t in AACHEN_THRESHOLDS + SEED_PAPER_THRESHOLDS[:2])
    med = '-' if s['median_t'] is None else f'{100 * s["median_t"]:.2f}cm/{s["median_r_deg"]:.3f}°'
    return f'{tag:<12}{subset:<7}{r["mean_keypoints"]:>6.0f}{r["num_points3D"]:>7d}' + \
        f'{(r["point_err_median_m"] or float("nan")) * 100:>8.2f}{100 * r["points_within_10cm"]:>6.1f}' + acc + \
        f'  {s["num_localized"]}/{s["num_queries"]}  {med}'


@register_benchmark('r2d2ctx-localization')
def run(quick: bool = True, seed: int = 0, out: str = 'work_dirs/bench_r2d2ctx_localization') -> dict:
    """Visual localization on a generated textured-plane scene (released R2D2 vs RootSIFT, pycolmap pipeline).

    Renders the scene, extracts features, triangulates the database and localizes the queries; prints a table
    and returns a flat dict (module doc). ``quick``: 320 x 240 px, 18 database views, 8 queries (~2-4 min on
    2 CPU cores); full: 640 x 480, 36 database views, 24 queries.
    """
    from .benchmark import WEIGHTS
    s = SETTINGS['quick' if quick else 'full']
    t0 = time.perf_counter()
    scene = make_localization_scene(osp.join(out, 'scene'), s['width'], s['height'], s['num_positions'],
                                    s['num_queries'], seed, s['supersample'])
    res: Dict[str, object] = dict(quick=quick, seed=seed, width=s['width'], height=s['height'],
                                  num_db=len(scene['db_cam_from_world']),
                                  num_queries=len(scene['query_cam_from_world']),
                                  render_s=round(time.perf_counter() - t0, 2))
    loc_cfg = dict(ransac_max_error=ransac_threshold(max(s['width'], s['height'])))
    res['ransac_max_error'] = loc_cfg['ransac_max_error']
    extractors = []
    if osp.isfile(WEIGHTS):
        from .convert import convert_r2d2_checkpoint
        from .extract import R2D2_EXTRACT_DEFAULTS, extract_multiscale, normalize_rgb
        from .inference import init_r2d2_net
        converted = osp.join(out, 'r2d2_WASF_N16_wsl.pth')
        convert_r2d2_checkpoint(WEIGHTS, converted)
        net, _ = init_r2d2_net(converted)
        cfg = dict(R2D2_EXTRACT_DEFAULTS, top_k=s['top_k'])
        extractors.append(('r2d2_wasf', lambda rgb: extract_multiscale(net, normalize_rgb(rgb), **cfg)))
    else:
        print(f'released R2D2 weights not found ({WEIGHTS or "set WSL_R2D2_WEIGHTS"}): skipping the R2D2 rows')
    extractors.append(('rootsift', lambda rgb: rootsift_features(rgb, s['top_k'])))
    rows = []
    for tag, fn in extractors:
        feat_dir = osp.join(out, 'features', tag)
        r = extract_to_folder(scene['images'], feat_dir, fn)
        r.update(evaluate_features(scene, feat_dir, seed, loc_cfg))
        rows.append((tag, r))
        print(f'evaluated {tag}', flush=True)
        res.update({f'{tag}_{k}': (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()
                    if not isinstance(v, dict)})
        for subset in ('all', 'day', 'night'):
            for k, v in r[subset].items():
                res[f'{tag}_{subset}_{k}'] = round(v, 5) if isinstance(v, float) else v
    print(f'{"features":<12}{"subset":<7}{"kpts":>6}{"3D pts":>7}{"err cm":>8}{"<10cm":>6}' +
          ''.join(f'{f"{t:g}m/{r:g}°":>9}' for t, r in AACHEN_THRESHOLDS + SEED_PAPER_THRESHOLDS[:2]) +
          '  loc  median t / R')
    for tag, r in rows:
        for subset in ('all', 'day', 'night'):
            print(_row(tag, subset, r, r[subset]))
    res['total_s'] = round(time.perf_counter() - t0, 1)
    os.makedirs(out, exist_ok=True)
    with open(osp.join(out, 'result.json'), 'w') as f:
        json.dump(res, f, indent=1)
    return res
