"""The synthetic ray-cast room: exact hits, NeFeS camera model, and a round trip through the 7-Scenes loader."""
import json

import numpy as np
import pytest
from PIL import Image

from wsl.datasets.synthetic.room import (_shade, cast_rays, make_room_dataset, make_room_scene, render_views,
                                         room_camera_path)
from wsl.localization.nefes.seven_scenes import SevenScenesNeFeSDataset


def test_ray_casting_hits_walls_floor_and_boxes():
    scene = make_room_scene(0)
    o = np.array([[0.0, 1.0, 0.0]] * 3 + [[1.25, 0.35, 1.5]])
    d = np.array([[0.0, 0.0, -1.0], [2.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]])
    t, p, face = cast_rays(scene, o, d)
    assert t.tolist() == pytest.approx([2.0, 1.0, 1.0, 1.0])  # t in units of |d| (d = 2 along x)
    assert p[1].tolist() == pytest.approx([2.0, 1.0, 0.0])
    # wall z = -2 (axis 2, min side), wall x = +2, floor y = 0, then box 1's z = 0.5 face (hit from +z)
    assert face.tolist() == [4, 1, 2, 6 * 2 + 2 * 2 + 1]


def test_render_uses_nefes_camera_model():
    scene = make_room_scene(0)
    c2w = np.array([[[1.0, 0, 0, 0], [0, 1, 0, 1.0], [0, 0, 1, 0]]])  # at (0, 1, 0) looking down -z
    img, depth = render_views(scene, c2w, 6, 8, focal=4.0, supersample=1)
    # pixel (col W/2, row H/2) is the optical axis: it sees (0, 1, -2) on wall 4 at depth 2
    assert depth[0, 3, 4] == pytest.approx(2.0)
    assert np.allclose(img[0, 3, 4], _shade(scene, np.array([[0.0, 1.0, -2.0]]), np.array([4]))[0])
    # off-axis pixels keep depth along the optical axis (camera-z), not ray length, on a fronto-parallel wall
    assert np.allclose(depth[0, 2:5, 2:7], 2.0)
    assert img.min() >= 0 and img.max() <= 1


def test_dataset_round_trip_through_the_seven_scenes_loader(tmp_path):
    meta = make_room_dataset(str(tmp_path), num_train=4, num_test=2, height=12, width=16, supersample=1)
    assert json.loads((tmp_path / 'room' / 'room_meta.json').read_text())['focal'] == pytest.approx(585 * 12 / 480)
    ds = SevenScenesNeFeSDataset(scene='room', data_root=str(tmp_path / 'room'), img_height=12,
                                 scene_setup=meta['scene_setup'])
    assert len(ds) == 4 and ds.get_data_info(0)['focal'] == pytest.approx(meta['focal'])
    # APR frame = D * avg^-1 * room frame; mapping the loaded poses back recovers the generator's cameras
    avg = np.eye(4)
    avg[:3] = ds.metainfo['pose_avg']
    to_apr = np.diag([1.0, -1.0, -1.0, 1.0]) @ np.linalg.inv(avg)
    gl = room_camera_path('train', 4, seed=0)
    for i in range(4):
        apr = np.eye(4)
        apr[:3] = ds.get_data_info(i)['pose']
        assert np.allclose((np.linalg.inv(to_apr) @ apr)[:3], gl[i], atol=1e-5)
        img = np.asarray(Image.open(ds.get_data_info(i)['img_path'])) / 255.0
        rendered, _ = render_views(make_room_scene(0), gl[i:i + 1], 12, 16, meta['focal'], supersample=1)
        assert np.abs(img - rendered[0]).max() <= 0.5 / 255 + 1e-9
    depth = np.asarray(Image.open(tmp_path / 'room' / 'seq-02' / 'frame-000001.depth.png'))
    assert depth.dtype == np.uint16 and 300 < depth.min() and depth.max() < 6300  # mm inside the room
