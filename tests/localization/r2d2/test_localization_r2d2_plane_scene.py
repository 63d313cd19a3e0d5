"""The generated textured-plane scene: exact ray casting, bilinear texture lookup and camera conventions."""
import numpy as np
import pycolmap
import pytest

from wsl.localization.r2d2.localization_benchmark import covisible_pairs, night_version
from wsl.localization.r2d2.plane_scene import (cast_rays, look_rotation, make_plane_scene, pose_at, render_view,
                                               sample_bilinear, surface_points)

PLANES = make_plane_scene(texels_per_m=16.0)  # small textures: the geometry is what is tested


def test_ray_casting_hand_values():
    origins = np.array([[0, 0, 1.6], [0, 0, 1.6], [0, 0, 1.6], [-3, 0, 1.5]])
    dirs = np.array([[0, 1.0, 0], [0, 0, -1.0], [0, 0, 1.0], [0, 1.0, 0]])
    t, plane, ab = cast_rays(PLANES, origins, dirs)
    # back facade (top-left corner (-8, 12, 6), 16 m wide, 6 m high); the ground; the sky; the first panel, which
    # hides the back facade: it runs from (-4, 6) to (-1.6, 5.4), so x = -3 is 5/12 along it at y = 5.75
    np.testing.assert_array_equal(plane, [0, 3, -1, 4])
    np.testing.assert_allclose(t[[0, 1, 3]], [12.0, 1.6, 5.75])
    assert t[2] == np.inf
    np.testing.assert_allclose(ab[0], [0.5, 4.4 / 6])
    np.testing.assert_allclose(ab[3], [1 / 2.4, 0.5])


def test_bilinear_texture_lookup():
    tex = np.array([[[0, 0, 0], [100, 0, 0]], [[0, 200, 0], [100, 200, 40]]], np.uint8)
    out = sample_bilinear(tex, np.array([[0.25, 0.25], [0.5, 0.5], [0.75, 0.25], [0.0, 0.0]]))
    np.testing.assert_allclose(out, [[0, 0, 0], [50, 100, 10], [100, 0, 0], [0, 0, 0]])  # border replicated


def test_camera_conventions_render_and_back_projection():
    R = look_rotation(20.0, 5.0, 0.0)
    # the optical axis (third row) points along yaw 20° from +y towards +x, pitched up 5°
    np.testing.assert_allclose(R[2], [np.sin(np.radians(20)) * np.cos(np.radians(5)),
                                      np.cos(np.radians(20)) * np.cos(np.radians(5)), np.sin(np.radians(5))])
    assert R[1, 2] < 0  # image y points down: world up is negative camera y
    cam = pycolmap.Camera(model='SIMPLE_RADIAL', width=40, height=30, params=[35.0, 20.0, 15.0, 0.03])
    pose = pose_at(np.array([0.5, 1.0, 1.7]), R)
    img = render_view(PLANES, cam, pose, supersample=1)
    assert img.shape == (30, 40, 3) and img.dtype == np.uint8
    # with one ray per pixel, pixel (row 10, col 25) is the texture at the hit of the ray through (25.5, 10.5)
    X = surface_points(PLANES, cam, pose, np.array([[25.5, 10.5]]))
    t, plane, ab = cast_rays(PLANES, pose.inverse().translation, X - pose.inverse().translation)
    assert t[0] == pytest.approx(1.0)
    np.testing.assert_allclose(img[10, 25], np.round(sample_bilinear(PLANES[plane[0]].texture, ab))[0])
    # the surface point projects back onto the pixel
    np.testing.assert_allclose(cam.img_from_cam(pose * X), [[25.5, 10.5]], atol=1e-6)


def test_night_version_and_covisible_pairs():
    rng = np.random.default_rng(0)
    img = np.full((20, 20, 3), 180, np.uint8)
    night = night_version(img, rng)
    assert night.mean() < 0.6 * img.mean() and night[..., 2].mean() < night[..., 0].mean()  # darker, warm
    poses = {'a': pose_at(np.zeros(3), look_rotation(0)), 'b': pose_at(np.array([1.0, 0, 0]), look_rotation(10)),
             'c': pose_at(np.array([0.5, 0, 0]), look_rotation(180)), 'd': pose_at(np.array([9.0, 0, 0]),
                                                                                   look_rotation(-20))}
    # c looks the other way: never paired; with k = 1 each image keeps its nearest co-oriented neighbour
    assert covisible_pairs(poses, k=1) == [('a', 'b'), ('b', 'd')]
    assert covisible_pairs(poses, k=3) == [('a', 'b'), ('a', 'd'), ('b', 'd')]
