"""Absolute pose from 2D-3D correspondences (pycolmap) and the query-side bookkeeping of the pipeline."""
import numpy as np
import pycolmap
import pytest

from wsl.localization.r2d2.localize_queries import (check_localization_cfg, estimate_query_pose, exhaustive_pairs,
                                            query_correspondences, split_pairs)
from wsl.localization.r2d2.pose_accuracy import pose_error

CAM = pycolmap.Camera(model='SIMPLE_RADIAL', width=800, height=600, params=[700.0, 400.0, 300.0, -0.03])
TRUE = pycolmap.Rigid3d(pycolmap.Rotation3d(np.array([0.1, -0.25, 0.05])), np.array([0.3, -0.2, 1.5]))


def correspondences(n=100, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform([-3, -2, 4], [3, 2, 9], (n, 3))  # in front of the camera in its own frame
    world = TRUE.inverse() * X
    return CAM.img_from_cam(X), world


def test_exact_correspondences_recover_the_pose():
    x, X = correspondences()
    est = estimate_query_pose(x, X, CAM)
    dt, dr = pose_error(est['cam_from_world'], TRUE)
    assert dt < 1e-6 and dr < 1e-5
    assert est['num_inliers'] == 100 and est['inlier_mask'].all()


def test_thirty_percent_outliers_are_rejected():
    x, X = correspondences(seed=1)
    rng = np.random.default_rng(2)
    out = rng.choice(100, 30, replace=False)
    x[out] = rng.uniform([0, 0], [800, 600], (30, 2))  # random image positions
    est = estimate_query_pose(x, X, CAM, ransac_max_error=4.0, seed=0)
    dt, dr = pose_error(est['cam_from_world'], TRUE)
    assert dt < 1e-6 and dr < 1e-5
    truth = np.ones(100, bool)
    truth[out] = False
    assert est['num_inliers'] == 70 and np.array_equal(est['inlier_mask'], truth)


def test_too_few_correspondences_or_inliers_fail():
    x, X = correspondences()
    assert estimate_query_pose(x[:3], X[:3], CAM) is None
    assert estimate_query_pose(x, X, CAM, min_num_inliers=101) is None
    with pytest.raises(ValueError, match='2D points'):
        estimate_query_pose(x[:5], X[:6], CAM)


def test_query_correspondences_deduplicate():
    # two database images: keypoint 3 of the query reaches point 7 through both, keypoint 4 reaches 7 and 8
    ids_a = np.array([-1, 7, 8, -1])
    ids_b = np.array([7, 9, -1])
    m_a = np.array([[3, 1], [4, 2], [5, 0], [6, 3]])  # 5 and 6 hit untriangulated keypoints
    m_b = np.array([[3, 0], [4, 0], [2, 1]])
    q, p = query_correspondences([m_a, m_b], [ids_a, ids_b])
    assert list(zip(q.tolist(), p.tolist())) == [(2, 9), (3, 7), (4, 7), (4, 8)]
    q, p = query_correspondences([], [])
    assert len(q) == len(p) == 0


def test_pairs_split_and_exhaustive():
    db, queries = ['d0', 'd1', 'd2'], ['q0', 'q1']
    pairs = [('d0', 'd1'), ('d1', 'd0'), ('q0', 'd2'), ('d1', 'q0'), ('q0', 'd2'), ('q0', 'q1'), ('d2', 'd2')]
    db_pairs, per_query = split_pairs(pairs, db, queries)
    assert db_pairs == [('d0', 'd1')]
    assert per_query == {'q0': ['d2', 'd1'], 'q1': []}
    with pytest.raises(ValueError, match='neither database images nor queries'):
        split_pairs([('d0', 'x')], db, queries)
    ex = exhaustive_pairs(db, queries)
    assert ex[:3] == [('d0', 'd1'), ('d0', 'd2'), ('d1', 'd2')] and len(ex) == 3 + 6


def test_localization_cfg_check():
    assert check_localization_cfg(dict(ransac_max_error=8.0))['ransac_max_error'] == 8.0
    assert check_localization_cfg(None)['ransac_max_error'] == 12.0  # hloc's / pycolmap's default
    with pytest.raises(ValueError, match='unknown localization settings'):
        check_localization_cfg(dict(ransac_threshold=8.0))


def test_package_attribute_localize_is_the_function():
    """The pycolmap names load lazily; importing their submodule first must not shadow the function ``localize``."""
    import importlib
    import subprocess
    import sys
    code = ('import wsl.localization.r2d2.localize_queries as m, wsl.localization.r2d2 as p; '
            'assert p.localize is m.localize and callable(p.localize), p.localize')
    subprocess.run([sys.executable, '-c', code], check=True, cwd=importlib.import_module('wsl').__path__[0] + '/..')
