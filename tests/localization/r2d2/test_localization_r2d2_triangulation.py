"""Tracks, epipolar check and triangulation with known poses (and their outlier filters)."""
import numpy as np
import pycolmap
import pytest

from wsl.localization.r2d2.triangulation import (build_tracks, epipolar_errors, max_triangulation_angle,
                                                 reprojection_errors, triangulate_database, triangulate_tracks)


def look_at(center, target=(0.0, 0.0, 0.0)):
    """cam_from_world of a camera at ``center`` looking at ``target`` (world y up)."""
    z = np.asarray(target, float) - center
    z /= np.linalg.norm(z)
    x = np.cross([0.0, -1.0, 0.0], z)
    x /= np.linalg.norm(x)
    R = np.stack([x, np.cross(z, x), z])
    return pycolmap.Rigid3d(pycolmap.Rotation3d(R), -R @ center)


CAM = pycolmap.Camera(model='SIMPLE_RADIAL', width=640, height=480, params=[500.0, 320.0, 240.0, 0.02])


def ring(n=5, radius=6.0):
    return [look_at(np.array([radius * np.sin(a), 0.3 * k, -radius * np.cos(a)]))
            for k, a in enumerate(np.linspace(-0.6, 0.6, n))]


def project(pose, X):
    return CAM.img_from_cam(pose * X)


def test_build_tracks_hand_made():
    # image 0 kp0 - image 1 kp0 - image 2 kp0; image 0 kp1 - image 1 kp1 - image 2 kp2; image 0 kp2 - image 2 kp1
    matches = {(0, 1): np.array([[0, 0], [1, 1]]), (1, 2): np.array([[0, 0], [1, 2]]), (0, 2): np.array([[2, 1]])}
    track, image, kp = build_tracks([3, 2, 3], matches)
    tracks = sorted(sorted(zip(image[track == t].tolist(), kp[track == t].tolist())) for t in np.unique(track))
    assert tracks == [[(0, 0), (1, 0), (2, 0)], [(0, 1), (1, 1), (2, 2)], [(0, 2), (2, 1)]]
    # a wrong match (image 0 kp0 - image 2 kp2) merges the first two tracks: every image then holds two keypoints
    # of the component, so all of it is ambiguous and dropped; the third track survives
    matches[(0, 2)] = np.array([[2, 1], [0, 2]])
    track, image, kp = build_tracks([3, 2, 3], matches)
    assert sorted(zip(image.tolist(), kp.tolist())) == [(0, 2), (2, 1)] and set(track.tolist()) == {0}
    with pytest.raises(ValueError, match='index past'):
        build_tracks([3, 2], {(0, 1): np.array([[0, 2]])})
    assert len(build_tracks([3, 3], {})[0]) == 0


def test_angles_and_reprojection_errors():
    assert max_triangulation_angle(np.zeros(3), np.array([[1.0, 0, 0], [0, 1, 0]])) == pytest.approx(90)
    assert max_triangulation_angle(np.zeros(3), np.array([[1.0, 0, 0], [2, 0, 0], [-1, 0, 0]])) == pytest.approx(180)
    pose = ring()[0]
    X = np.array([[0.1, 0.2, 0.3], [0, 0, 0]])
    err = reprojection_errors(X, project(pose, X) + [[3.0, 4.0], [0, 0]], CAM, pose)
    np.testing.assert_allclose(err, [5.0, 0.0], atol=1e-9)
    behind = 2 * pose.inverse().translation  # the camera looks at the origin, away from this point
    assert reprojection_errors(behind[None], np.zeros((1, 2)), CAM, pose)[0] == np.inf


def test_epipolar_errors():
    p1, p2 = ring()[:2]
    X = np.random.default_rng(0).uniform(-1, 1, (20, 3))
    x1, x2 = project(p1, X), project(p2, X)
    assert epipolar_errors(x1, x2, CAM, CAM, p1, p2).max() < 1e-6
    wrong = epipolar_errors(x1, x2[::-1], CAM, CAM, p1, p2)
    assert np.median(wrong) > 10
    assert np.isinf(epipolar_errors(x1, x1, CAM, CAM, p1, p1)).all()  # no baseline, no epipolar geometry


def test_triangulation_recovers_exact_points_and_filters_outliers():
    rng = np.random.default_rng(0)
    poses = ring(5)
    cams = [CAM] * 5
    X = rng.uniform(-1, 1, (30, 3))
    kps = [project(p, X) for p in poses]  # keypoint i of every image observes X[i]
    # tracks 0..29: all five views; track 30..: a 2-view track whose second observation is off its epipolar line
    track = np.repeat(np.arange(30), 5)
    image = np.tile(np.arange(5), 30)
    kp = np.repeat(np.arange(30), 5)
    # corrupt one observation of tracks 0..9 (30 px): RANSAC must drop it and keep the point
    for t in range(10):
        kps[t % 5][t] += [30.0, -20.0]
    model = triangulate_tracks(track, image, kp, kps, cams, poses, max_reproj_error=2.0, min_tri_angle=1.5)
    assert len(model.xyz) == 30
    np.testing.assert_allclose(model.xyz, X, atol=1e-6)
    np.testing.assert_array_equal(model.track_lengths, [4] * 10 + [5] * 20)
    for t in range(10):  # the corrupted observation is not part of the point's track
        assert model.point3D_ids[t % 5][t] == -1
        assert all(model.point3D_ids[i][t] == t for i in range(5) if i != t % 5)
    assert model.errors.max() < 1e-6
    # an inconsistent two-view track (observation moved off the epipolar line) is rejected
    bad = [k.copy() for k in kps[:2]]
    bad[1][20] += [0.0, 25.0]
    m2 = triangulate_tracks(np.array([0, 0]), np.array([0, 1]), np.array([20, 20]), bad, cams[:2], poses[:2], 2.0, 1.5)
    assert len(m2.xyz) == 0
    # two cameras 1 mm apart: an exact but nearly parallel two-view track is rejected by the angle filter
    near = [poses[0], pycolmap.Rigid3d(poses[0].rotation, poses[0].translation + [1e-3, 0, 0])]
    k2 = [project(p, X) for p in near]
    m3 = triangulate_tracks(np.array([0, 0]), np.array([0, 1]), np.array([0, 0]), k2, cams[:2], near, 2.0, 1.5)
    assert len(m3.xyz) == 0
    m4 = triangulate_tracks(np.array([0, 0]), np.array([0, 1]), np.array([0, 0]), k2, cams[:2], near, 2.0, 0.0)
    assert len(m4.xyz) == 1  # without the angle filter the same track is kept
    with pytest.raises(ValueError, match='min_track_length'):
        triangulate_tracks(track, image, kp, kps, cams, poses, min_track_length=1)


def test_triangulate_database_from_pairwise_matches():
    rng = np.random.default_rng(1)
    poses = ring(4)
    X = rng.uniform(-1, 1, (40, 3))
    perms = [rng.permutation(40) for _ in poses]  # image i lists X[perms[i]]
    kps = [project(p, X[perm]) for p, perm in zip(poses, perms)]
    inv = [np.argsort(perm) for perm in perms]  # index of X[j] in image i
    matches = {}
    for k, (i, j) in enumerate((i, j) for i in range(4) for j in range(i + 1, 4)):
        m = np.stack([inv[i], inv[j]], 1)
        bad = np.arange(5 * k, 5 * k + 5)
        m[bad, 1] = m[(bad + 17) % 40, 1]  # five wrong matches per pair, other points in every pair
        matches[(i, j)] = m
    model, stats = triangulate_database(kps, [CAM] * 4, poses, matches, max_epipolar_error=2.0, max_reproj_error=2.0)
    # the check drops wrong matches off their epipolar lines; a few lie within 2 px of them by chance
    assert stats['num_matches'] == 240 and 6 * 35 <= stats['num_verified_matches'] < 240
    # each of those merges two tracks into one holding two keypoints per image: both are dropped (as OpenMVG
    # drops conflicting tracks), but no wrong point survives
    n_wrong = stats['num_verified_matches'] - 6 * 35  # wrong matches that passed
    assert stats['num_points3D'] == len(model.xyz) >= 40 - 2 * n_wrong
    for i in range(4):
        ids = model.point3D_ids[i]
        np.testing.assert_allclose(model.xyz[ids[ids >= 0]], X[perms[i]][ids >= 0], atol=1e-6)
