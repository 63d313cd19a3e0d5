"""Pose errors and the localization accuracy fractions on hand values."""
import numpy as np
import pycolmap
import pytest

from wsl.localization.r2d2.pose_accuracy import (AACHEN_THRESHOLDS, SEED_PAPER_THRESHOLDS, accuracy_fractions,
                                                 accuracy_report, camera_center, pose_error, threshold_key)


def rz(deg):
    a = np.radians(deg)
    return np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])


def pose(R, c):
    """World-to-camera [R | -R c] of a camera at centre c."""
    return np.concatenate([R, (-R @ np.asarray(c, float))[:, None]], 1)


def test_threshold_sets():
    assert AACHEN_THRESHOLDS == ((0.25, 2.0), (0.5, 5.0), (5.0, 10.0))
    assert SEED_PAPER_THRESHOLDS == ((0.5, 2.0), (1.0, 5.0), (5.0, 10.0))
    assert threshold_key(0.25, 2.0) == 'acc_0.25m_2deg'


def test_pose_error_hand_values():
    gt = pose(np.eye(3), [1.0, 2.0, 3.0])
    assert camera_center(gt) == pytest.approx([1, 2, 3])
    est = pose(rz(30.0), [1.0, 2.0, 3.0 + 0.4])
    dt, dr = pose_error(est, gt)
    assert dt == pytest.approx(0.4) and dr == pytest.approx(30.0)
    # a pycolmap.Rigid3d works the same way, and 180° is not folded
    rigid = pycolmap.Rigid3d(pycolmap.Rotation3d(rz(180.0)), est[:, 3])
    assert pose_error(rigid, gt)[1] == pytest.approx(180.0)
    with pytest.raises(ValueError, match='pose'):
        pose_error(np.eye(3), gt)


def test_accuracy_fractions_hand_values():
    dt = np.array([0.1, 0.3, 0.3, 4.0, 0.1, np.inf])
    dr = np.array([1.0, 1.0, 4.0, 9.0, 11.0, np.inf])
    # (0.25 m, 2°): q0 -> 1/6; (0.5 m, 5°): q0, q1, q2 -> 3/6; (5 m, 10°): q0..q3 -> 4/6
    np.testing.assert_allclose(accuracy_fractions(dt, dr), [1 / 6, 3 / 6, 4 / 6])
    # seed paper: (0.5 m, 2°): q0, q1; (1 m, 5°): q0..q2; (5 m, 10°): q0..q3
    np.testing.assert_allclose(accuracy_fractions(dt, dr, SEED_PAPER_THRESHOLDS), [2 / 6, 3 / 6, 4 / 6])
    assert accuracy_fractions(np.array([0.25]), np.array([2.0]))[0] == 1.0  # thresholds are inclusive
    assert accuracy_fractions(np.array([np.nan]), np.array([0.0]))[0] == 0.0
    np.testing.assert_array_equal(accuracy_fractions(np.zeros(0), np.zeros(0)), [0, 0, 0])
    with pytest.raises(ValueError, match='equal length'):
        accuracy_fractions(np.zeros(2), np.zeros(3))


def test_accuracy_report_counts_missing_queries_as_failures():
    gt = {'a': pose(np.eye(3), [0, 0, 0]), 'b': pose(np.eye(3), [1, 0, 0]), 'c': pose(rz(90), [0, 0, 0])}
    est = {'a': pose(rz(1.0), [0.1, 0, 0]), 'b': None, 'x': pose(np.eye(3), [0, 0, 0])}  # c missing, x has no GT
    rep = accuracy_report(est, gt)
    assert rep['acc_0.25m_2deg'] == pytest.approx(1 / 3) and rep['acc_5m_10deg'] == pytest.approx(1 / 3)
    assert rep['acc_1m_5deg'] == pytest.approx(1 / 3)  # the seed paper's set is included
    assert rep['num_queries'] == 3 and rep['num_localized'] == 1 and rep['num_without_gt'] == 1
    assert rep['median_t'] == pytest.approx(0.1) and rep['median_r_deg'] == pytest.approx(1.0)
    assert rep['per_query']['b'] is None and rep['per_query']['c'] is None
    empty = accuracy_report({}, gt)
    assert empty['median_t'] is None and empty['acc_5m_10deg'] == 0.0
