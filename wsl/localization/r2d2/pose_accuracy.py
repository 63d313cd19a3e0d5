"""Localization accuracy as visuallocalization.net reports it: the fraction of queries whose camera
centre is within Δt metres and whose orientation is within Δθ degrees of the ground truth.

Poses are world-to-camera (``x_cam = R x_world + t``), as COLMAP and the submission format store them.
Errors: ``Δt = ||c_est - c_gt||`` with camera centres ``c = -Rᵀ t``, and ``Δθ`` the angle of the
relative rotation ``R_estᵀ R_gt`` (``arccos((tr - 1) / 2)``). A query without an estimate counts as
a failure at every threshold.
"""
from typing import Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

# Aachen Day-Night night queries since the 2020-06 ground-truth update (tsattler/visuallocalizationbenchmark#34).
AACHEN_THRESHOLDS = ((0.25, 2.0), (0.5, 5.0), (5.0, 10.0))
# The seed paper's regime (Hong et al. 2020, §4.1; original Aachen v1 night ground truth); not comparable with the
# above.
SEED_PAPER_THRESHOLDS = ((0.5, 2.0), (1.0, 5.0), (5.0, 10.0))

Pose = Union[np.ndarray, object]  # a (3, 4) / (4, 4) [R|t] array or a pycolmap.Rigid3d


def pose_matrix(pose: Pose) -> np.ndarray:
    """A world-to-camera pose as a (3, 4) float64 ``[R | t]`` array (accepts ``pycolmap.Rigid3d``)."""
    m = np.asarray(pose.matrix() if hasattr(pose, 'matrix') else pose, dtype=np.float64)
    if m.shape not in ((3, 4), (4, 4)):
        raise ValueError(f'a pose must be a (3, 4) or (4, 4) [R|t] matrix or a pycolmap.Rigid3d, got shape {m.shape}')
    return m[:3]


def camera_center(pose: Pose) -> np.ndarray:
    """Camera centre ``-Rᵀ t`` (3,) of a world-to-camera pose."""
    m = pose_matrix(pose)
    return -m[:, :3].T @ m[:, 3]


def pose_error(est: Pose, gt: Pose) -> Tuple[float, float]:
    """``(Δt in the units of the poses, Δθ in degrees)`` between two world-to-camera poses."""
    e, g = pose_matrix(est), pose_matrix(gt)
    dt = float(np.linalg.norm(camera_center(e) - camera_center(g)))
    cos = (np.trace(e[:, :3].T @ g[:, :3]) - 1) / 2
    return dt, float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def accuracy_fractions(dt: np.ndarray, dr: np.ndarray,
                       thresholds: Sequence[Tuple[float, float]] = AACHEN_THRESHOLDS) -> np.ndarray:
    """Fraction of queries with ``dt <= Δt`` and ``dr <= Δθ``, per threshold pair.

    Args:
        dt (ndarray): (Q,) position errors; ``inf`` (or NaN) for a failed query.
        dr (ndarray): (Q,) rotation errors in degrees; ``inf`` (or NaN) for a failed query.
        thresholds: ``(Δt, Δθ)`` pairs.

    Returns:
        ndarray: (T,) fractions in [0, 1]; zeros for Q = 0.
    """
    dt, dr = np.asarray(dt, dtype=np.float64), np.asarray(dr, dtype=np.float64)
    if dt.shape != dr.shape or dt.ndim != 1:
        raise ValueError(f'dt and dr must be (Q,) arrays of equal length, got {dt.shape} and {dr.shape}')
    if len(dt) == 0:
        return np.zeros(len(thresholds))
    ok_t, ok_r = np.nan_to_num(dt, nan=np.inf), np.nan_to_num(dr, nan=np.inf)
    return np.array([np.mean((ok_t <= t) & (ok_r <= r)) for t, r in thresholds])


def threshold_key(t: float, r: float) -> str:
    """The report key of one threshold pair, e.g. ``acc_0.25m_2deg``."""
    return f'acc_{t:g}m_{r:g}deg'


def accuracy_report(estimates: Mapping[str, Optional[Pose]], ground_truth: Mapping[str, Pose],
                    thresholds: Sequence[Tuple[float, float]] = AACHEN_THRESHOLDS,
                    extra_thresholds: Sequence[Tuple[float, float]] = SEED_PAPER_THRESHOLDS) -> Dict[str, object]:
    """Score estimated query poses against the ground truth.

    Every ground-truth query is scored; a missing or None estimate is a failure. Estimates of images
    without ground truth are ignored (counted in ``num_without_gt``).

    Returns:
        dict: ``acc_<Δt>m_<Δθ>deg`` per threshold pair of both sets (fractions in [0, 1]),
        ``num_queries``, ``num_localized``, ``num_without_gt``, ``median_t``/``median_r_deg`` over the
        localized queries (None if none) and ``per_query`` ``{name: (Δt, Δθ) or None}``.
    """
    per_query: Dict[str, Optional[Tuple[float, float]]] = {}
    for name, gt in ground_truth.items():
        est = estimates.get(name)
        per_query[name] = None if est is None else pose_error(est, gt)
    errs = np.array([e if e is not None else (np.inf, np.inf) for e in per_query.values()],
                    dtype=np.float64).reshape(-1, 2)
    report: Dict[str, object] = {}
    every = list(thresholds) + [t for t in extra_thresholds if tuple(t) not in set(map(tuple, thresholds))]
    for (t, r), frac in zip(every, accuracy_fractions(errs[:, 0], errs[:, 1], every)):
        report[threshold_key(t, r)] = float(frac)
    done = errs[np.isfinite(errs[:, 0])]
    report.update(num_queries=len(per_query), num_localized=len(done),
                  num_without_gt=sum(1 for k in estimates if k not in ground_truth),
                  median_t=float(np.median(done[:, 0])) if len(done) else None,
                  median_r_deg=float(np.median(done[:, 1])) if len(done) else None, per_query=per_query)
    return report
