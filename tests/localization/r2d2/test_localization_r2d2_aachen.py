"""Aachen Day-Night readers and the submission writer, on fixture files in the real formats."""
import os.path as osp

import numpy as np
import pycolmap
import pytest

from wsl.localization.r2d2.aachen import (make_camera, read_colmap_model, read_database_model,
                                          read_intrinsics_list, read_nvm, read_pairs, read_poses,
                                          write_intrinsics_list, write_pairs, write_poses)
from wsl.localization.r2d2.pose_accuracy import pose_error

QUERIES = """\
query/night/nexus5x/IMG_20161227_172439.jpg SIMPLE_RADIAL 1600 1200 1469.2 800 600 -0.0353019
# a comment line, then a blank line

query/night/milestone/2010-10-30_17-47-25_73.jpg SIMPLE_RADIAL 1024 768 868.993378 512 384 -0.0225588
query/day/nexus4/IMG_20130210_163210.jpg PINHOLE 960 720 810.5 811.0 480.5 359.25
"""

NVM = """NVM_V3

2
db/1045.jpg 1234.5 0.7071067811865476 0 0.7071067811865476 0 1.0 2.0 3.0 -0.01 0
db/2046.jpg\t1300.0\t1 0 0 0\t-4.0 0.5 2.0\t0.002\t0

1
0.5 0.5 0.5 255 255 255 2 0 0 10.0 20.0 1 0 30.0 40.0
"""


def write(tmp_path, name, text):
    path = osp.join(tmp_path, name)
    with open(path, 'w') as f:
        f.write(text)
    return path


def test_intrinsics_list_reader_and_round_trip(tmp_path):
    cams = read_intrinsics_list(write(tmp_path, 'night_time_queries_with_intrinsics.txt', QUERIES))
    assert list(cams) == ['query/night/nexus5x/IMG_20161227_172439.jpg',
                          'query/night/milestone/2010-10-30_17-47-25_73.jpg',
                          'query/day/nexus4/IMG_20130210_163210.jpg']
    c = cams['query/night/nexus5x/IMG_20161227_172439.jpg']
    assert c.model_name == 'SIMPLE_RADIAL' and (c.width, c.height) == (1600, 1200)
    np.testing.assert_allclose(c.params, [1469.2, 800, 600, -0.0353019])
    assert cams['query/day/nexus4/IMG_20130210_163210.jpg'].model_name == 'PINHOLE'
    out = osp.join(tmp_path, 'sub', 'copy.txt')
    write_intrinsics_list(out, cams)
    again = read_intrinsics_list(out)
    assert list(again) == list(cams)
    for k in cams:
        assert again[k].model_name == cams[k].model_name and again[k].width == cams[k].width
        np.testing.assert_array_equal(again[k].params, cams[k].params)  # repr() round-trips exactly


@pytest.mark.parametrize('line, message', [
    ('img.jpg SIMPLE_RADIAL 1600 1200 1469.2 800 600', 'SIMPLE_RADIAL takes 4 parameters, got 3'),
    ('img.jpg FANCY_MODEL 1600 1200 1 2 3 4', "unknown camera model 'FANCY_MODEL'"),
    ('img.jpg SIMPLE_RADIAL 1600.5 1200 1 2 3 4', 'WIDTH and HEIGHT must be positive integers'),
    ('img.jpg SIMPLE_RADIAL 1600 1200 f 2 3 4', 'expected numbers for camera parameters'),
    ('img.jpg SIMPLE_RADIAL 1600 1200 nan 2 3 4', 'must be finite'),
    ('img.jpg SIMPLE_RADIAL 1600', 'expected "name MODEL WIDTH HEIGHT params..."'),
])
def test_intrinsics_list_errors_name_file_and_line(tmp_path, line, message):
    path = write(tmp_path, 'q.txt', 'ok.jpg PINHOLE 10 10 1 1 5 5\n\n' + line + '\n')
    with pytest.raises(ValueError, match=message) as e:
        read_intrinsics_list(path)
    assert f'{path}:3:' in str(e.value)


def test_intrinsics_list_duplicates_and_missing_file(tmp_path):
    path = write(tmp_path, 'q.txt', 'a.jpg PINHOLE 10 10 1 1 5 5\na.jpg PINHOLE 10 10 1 1 5 5\n')
    with pytest.raises(ValueError, match=r'q.txt:2: image .a.jpg. is listed twice'):
        read_intrinsics_list(path)
    with pytest.raises(FileNotFoundError):
        read_intrinsics_list(osp.join(tmp_path, 'none.txt'))
    with pytest.raises(ValueError, match='takes 3 parameters'):
        make_camera('SIMPLE_PINHOLE', 10, 10, [1, 2])


def test_pairs_reader_writer(tmp_path):
    path = write(tmp_path, 'pairs.txt', 'query/night/a.jpg db/1.jpg\n\ndb/1.jpg db/2.jpg\n')
    pairs = read_pairs(path)
    assert pairs == [('query/night/a.jpg', 'db/1.jpg'), ('db/1.jpg', 'db/2.jpg')]
    out = osp.join(tmp_path, 'copy.txt')
    write_pairs(out, pairs)
    assert read_pairs(out) == pairs
    bad = write(tmp_path, 'bad.txt', 'a.jpg b.jpg\na.jpg b.jpg 0.93\n')
    with pytest.raises(ValueError, match=r'bad.txt:2: expected two image names "name1 name2", got 3 fields'):
        read_pairs(bad)
    with pytest.raises(ValueError, match='whitespace'):
        write_pairs(out, [('a b.jpg', 'c.jpg')])


def random_pose(rng):
    R = pycolmap.Rotation3d(rng.normal(size=3))
    return pycolmap.Rigid3d(R, rng.normal(size=3) * 10)


def test_submission_writer_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    poses = {f'query/{t}/cam/IMG_{i}.jpg': random_pose(rng) for i, t in enumerate(['night', 'day', 'night'])}
    path = osp.join(tmp_path, 'submission.txt')
    write_poses(path, poses)  # basenames, as visuallocalization.net expects
    lines = open(path).read().splitlines()
    assert [ln.split()[0] for ln in lines] == ['IMG_0.jpg', 'IMG_1.jpg', 'IMG_2.jpg']
    assert all(len(ln.split()) == 8 and float(ln.split()[1]) >= 0 for ln in lines)  # qw first, canonical sign
    back = read_poses(path)
    for name, pose in poses.items():
        est = back[name.split('/')[-1]]
        np.testing.assert_allclose(est.matrix(), pose.matrix(), atol=1e-12)
    # full names, and the writer accepts [R|t] arrays
    write_poses(path, {k: v.matrix() for k, v in poses.items()}, basename=False)
    assert set(read_poses(path)) == set(poses)
    # world-to-camera: the stored translation is t, not the camera centre
    first = lines[0].split()
    np.testing.assert_allclose([float(v) for v in first[5:]], poses['query/night/cam/IMG_0.jpg'].translation)
    with pytest.raises(ValueError, match='share the basename'):
        write_poses(path, {'query/day/a/x.jpg': poses['query/day/cam/IMG_1.jpg'],
                           'query/night/b/x.jpg': poses['query/day/cam/IMG_1.jpg']})


@pytest.mark.parametrize('line, message', [
    ('x.jpg 1 0 0 0 1 2', r'expected "name qw qx qy qz tx ty tz" \(8 fields\), got 7'),
    ('x.jpg 1 0 0 0 1 2 z', 'expected numbers for qw qx qy qz tx ty tz'),
    ('x.jpg 2 0 0 0 1 2 3', 'unit norm, got norm 2'),
])
def test_pose_reader_errors(tmp_path, line, message):
    path = write(tmp_path, 'poses.txt', 'ok.jpg 1 0 0 0 0 0 0\n' + line + '\n')
    with pytest.raises(ValueError, match=message) as e:
        read_poses(path)
    assert f'{path}:2:' in str(e.value)


def test_nvm_reader(tmp_path):
    cams = read_nvm(write(tmp_path, 'aachen_cvpr2018_db.nvm', NVM))
    assert list(cams) == ['db/1045.jpg', 'db/2046.jpg']
    c = cams['db/1045.jpg']
    assert c['focal'] == 1234.5 and c['radial'] == -0.01
    # the NVM quaternion is the world-to-camera rotation (90° about y) and the position is the camera centre
    R = c['cam_from_world'].rotation.matrix()
    np.testing.assert_allclose(R, [[0, 0, 1], [0, 1, 0], [-1, 0, 0]], atol=1e-12)
    np.testing.assert_allclose(c['cam_from_world'].translation, -R @ [1.0, 2.0, 3.0], atol=1e-12)
    np.testing.assert_allclose(c['cam_from_world'].inverse().translation, [1, 2, 3], atol=1e-12)
    np.testing.assert_allclose(cams['db/2046.jpg']['cam_from_world'].translation, [4.0, -0.5, -2.0])  # tabs work


@pytest.mark.parametrize('text, message', [
    ('NVM_V2\n\n1\n', ':1: expected the header "NVM_V3"'),
    ('NVM_V3\n\ntwo\n', ':3: expected the number of cameras'),
    ('NVM_V3\n\n3\na.jpg 1 1 0 0 0 0 0 0 0 0\n', 'announces 3 cameras but the file ends after 1'),
    ('NVM_V3\n\n1\na.jpg 1 1 0 0 0 0 0 0 0\n',
     r':4: expected "name focal qw qx qy qz cx cy cz radial 0" \(11 fields\)'),
])
def test_nvm_errors(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        read_nvm(write(tmp_path, 'm.nvm', text))


def test_database_model_from_nvm_poses_or_colmap(tmp_path):
    nvm = write(tmp_path, 'db.nvm', NVM)
    intr = write(tmp_path, 'database_intrinsics.txt', 'db/1045.jpg SIMPLE_RADIAL 1600 1200 1234.5 800 600 -0.01\n'
                 'db/2046.jpg SIMPLE_RADIAL 1063 1600 1300 531.5 800 0.002\n')
    cams, poses = read_database_model(intr, nvm_path=nvm)
    assert set(cams) == set(poses) == {'db/1045.jpg', 'db/2046.jpg'}
    # the same database as a poses file
    pfile = osp.join(tmp_path, 'database_poses.txt')
    write_poses(pfile, poses, basename=False)
    cams2, poses2 = read_database_model(intr, poses_path=pfile)
    for k in poses:
        assert max(pose_error(poses2[k], poses[k])) < 1e-9
    # and as a COLMAP model written by pycolmap
    rec = pycolmap.Reconstruction()
    for i, name in enumerate(sorted(cams), 1):
        cam = pycolmap.Camera(model=cams[name].model_name, width=cams[name].width, height=cams[name].height,
                              params=cams[name].params, camera_id=i)
        rec.add_camera_with_trivial_rig(cam)
        rec.add_image_with_trivial_frame(pycolmap.Image(name=name, camera_id=i, image_id=i), poses[name])
    model_dir = osp.join(tmp_path, 'model')
    import os
    os.makedirs(model_dir)
    rec.write_text(model_dir)
    cams3, poses3 = read_colmap_model(model_dir)
    assert set(poses3) == set(poses)
    for k in poses:
        assert max(pose_error(poses3[k], poses[k])) < 1e-9
        np.testing.assert_allclose(cams3[k].params, cams[k].params)
    bad = write(tmp_path, 'short_intrinsics.txt', 'db/1045.jpg SIMPLE_RADIAL 1600 1200 1234.5 800 600 -0.01\n')
    with pytest.raises(ValueError, match=r'1 without a pose|without intrinsics'):
        read_database_model(bad, nvm_path=nvm)
    with pytest.raises(ValueError, match='needs a COLMAP model'):
        read_database_model(intr)
