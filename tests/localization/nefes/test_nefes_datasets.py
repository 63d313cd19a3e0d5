"""7-Scenes and Cambridge loaders on fixture files written in the real layouts; hand-computed APR poses."""
import math

import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope

from wsl.localization.nefes.cambridge import CambridgeLandmarksNeFeSDataset
from wsl.localization.nefes.scene_frames import average_pose, flip_yz, opencv_w2c_to_opengl_c2w, recenter_poses
from wsl.localization.nefes.seven_scenes import SevenScenesNeFeSDataset
from wsl.localization.nefes.transforms import LoadNeFeSImage
from wsl.registry import DATASETS


def _rz(deg):
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def _c2w4(rot, centre):
    m = np.eye(4)
    m[:3, :3], m[:3, 3] = rot, centre
    return m


def _png(path, h, w, value=128):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((h, w, 3), value, np.uint8))


def _seven_scenes(root):
    """chess with seq-01 (train: 3 frames, centres averaging to 0) and seq-02 (test: one rotated frame)."""
    scene = root / 'chess'
    (scene / 'seq-01').mkdir(parents=True)
    (scene / 'TrainSplit.txt').write_text('sequence1\n')
    (scene / 'TestSplit.txt').write_text('sequence2\n\n')
    for i, centre in enumerate([(1, 1, 2), (-1, -1, -2), (0, 0, 0)]):
        np.savetxt(scene / 'seq-01' / f'frame-{i:06d}.pose.txt', _c2w4(np.eye(3), centre))
        _png(scene / 'seq-01' / f'frame-{i:06d}.color.png', 48, 64)
    (scene / 'seq-02').mkdir()
    np.savetxt(scene / 'seq-02' / 'frame-000000.pose.txt', _c2w4(_rz(90), (0.5, 0, 0)))
    _png(scene / 'seq-02' / 'frame-000000.color.png', 48, 64)
    return scene


def test_average_pose_and_axis_helpers_hand_made():
    poses = np.stack([_c2w4(np.eye(3), c)[:3] for c in [(2, 1, 0), (0, -1, 0)]])
    avg = average_pose(poses)
    assert np.allclose(avg, np.hstack([np.eye(3), [[1], [0], [0]]]))
    assert np.allclose(recenter_poses(poses, avg)[:, :, 3], [[1, 1, 0], [-1, -1, 0]])
    fixed = flip_yz(np.stack([_c2w4(_rz(30), (1, 2, 3))[:3]]))
    assert np.allclose(fixed[0, :, :3], _rz(-30)) and np.allclose(fixed[0, :, 3], [1, -2, -3])
    w2c = np.hstack([np.eye(3), [[0], [0], [-3]]])[None]  # OpenCV camera 3 m behind the origin on +z
    c2w = opencv_w2c_to_opengl_c2w(w2c)
    assert np.allclose(c2w[0], np.hstack([np.diag([1, -1, -1]), [[0], [0], [3]]]))


def test_seven_scenes_dslam_hand_computed(tmp_path):
    scene = _seven_scenes(tmp_path)
    train = SevenScenesNeFeSDataset(scene='chess', data_root=str(scene), split='train', img_height=24)
    assert len(train) == 3
    info = train.get_data_info(0)
    assert info['img_id'] == 'seq-01/frame-000000.color.png' and info['img_path'].endswith('frame-000000.color.png')
    # the average of the training cameras is the identity at the origin; then y, z flip
    assert np.allclose(info['pose'], np.hstack([np.eye(3), [[1], [-1], [-2]]]))
    assert np.allclose(info['pose_nerf'][:, 3], [0.5, -0.5, 0.0])  # chess: t * 0.5 + (0, 0, 1)
    assert info['img_shape'] == (24, 32) and info['focal'] == pytest.approx(585 * 24 / 480)
    assert (info['near'], info['far']) == (0.0, 2.0)
    test = SevenScenesNeFeSDataset(scene='chess', data_root=str(scene), split='test', img_height=24)
    assert len(test) == 1 and test.test_mode
    assert np.allclose(test.get_data_info(0)['pose'], np.hstack([_rz(-90), [[0.5], [0], [0]]]))
    skipped = SevenScenesNeFeSDataset(scene='chess', data_root=str(scene), split='train', img_height=24, frame_skip=2)
    assert [skipped.get_data_info(i)['img_id'][-22:] for i in range(2)] == ['frame-000000.color.png',
                                                                             'frame-000002.color.png']
    np.savetxt(tmp_path / 'pose_avg_stats.txt', np.hstack([np.eye(3), [[1], [0], [0]]]))
    shifted = SevenScenesNeFeSDataset(scene='chess', data_root=str(scene), split='test', img_height=24,
                                      pose_avg_file=str(tmp_path / 'pose_avg_stats.txt'))
    assert np.allclose(shifted.get_data_info(0)['pose'][:, 3], [-0.5, 0, 0])


def test_seven_scenes_sfm_hand_computed(tmp_path):
    scene = _seven_scenes(tmp_path)
    (tmp_path / 'pgt').mkdir()
    (tmp_path / 'pgt' / 'chess_train.txt').write_text('seq-01/frame-000000.color.png 1 0 0 0 -1 0 0 525.5\n'
                                                      'seq-01/frame-000001.color.png 1 0 0 0 1 0 0 525.5\n')
    (tmp_path / 'pgt' / 'chess_test.txt').write_text('seq-02/frame-000000.color.png 1 0 0 0 0 0 -3 526.0\n')
    cfg = dict(type='SevenScenesNeFeSDataset', scene='chess', data_root=str(scene), gt='sfm', img_height=24,
               sfm_pose_dir=str(tmp_path / 'pgt'))
    train = DATASETS.build(dict(cfg, split='train'))
    assert np.allclose(train.get_data_info(0)['pose'], np.hstack([np.eye(3), [[1], [0], [0]]]))
    test = DATASETS.build(dict(cfg, split='test'))
    info = test.get_data_info(0)
    assert np.allclose(info['pose'], np.hstack([np.eye(3), [[0], [0], [-3]]]))
    assert info['focal'] == pytest.approx(526.0 * 24 / 480)


@pytest.mark.parametrize('content,pattern', [
    ('1 0 0 0\n0 1 0 0\n0 0 1 0\n', r'frame-000001\.pose\.txt: expected a 4x4 matrix'),
    ('1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 1 1\n', r'last row of a 4x4 camera-to-world pose must be 0 0 0 1'),
    ('1 0 0 0\n0 1 0 nan\n0 0 1 0\n0 0 0 1\n', r'non-finite'),
    ('1 0 0 0\n0 1 x 0\n0 0 1 0\n0 0 0 1\n', r'frame-000001\.pose\.txt: expected a 4x4 matrix'),
])
def test_seven_scenes_malformed_pose_file(tmp_path, content, pattern):
    scene = _seven_scenes(tmp_path)
    (scene / 'seq-01' / 'frame-000001.pose.txt').write_text(content)
    with pytest.raises(ValueError, match=pattern):
        SevenScenesNeFeSDataset(scene='chess', data_root=str(scene), img_height=24)


def test_seven_scenes_malformed_split_and_sfm_lines(tmp_path):
    scene = _seven_scenes(tmp_path)
    (scene / 'TrainSplit.txt').write_text('sequence1\nseq 3\n')
    with pytest.raises(ValueError, match=r'TrainSplit\.txt:2: expected a line "sequenceN"'):
        SevenScenesNeFeSDataset(scene='chess', data_root=str(scene), img_height=24)
    (tmp_path / 'chess_train.txt').write_text('seq-01/frame-000000.color.png 1 0 0 0 0 0 0\n')
    with pytest.raises(ValueError, match=r'chess_train\.txt:1: expected "image qw qx qy qz tx ty tz focal"'):
        SevenScenesNeFeSDataset(scene='chess', data_root=str(scene), gt='sfm', sfm_pose_dir=str(tmp_path))
    with pytest.raises(ValueError, match='no built-in near/far'):
        SevenScenesNeFeSDataset(scene='my_room', data_root=str(scene))


def _cambridge(root):
    scene = root / 'ShopFacade'
    scene.mkdir()
    header = 'Visual Landmark Dataset V1\nImageFile, Camera Position [X Y Z W P Q R]\n\n'
    (scene / 'dataset_train.txt').write_text(header + 'seq1/frame00001.png 2 1 0 1 0 0 0\n'
                                             'seq1/frame00002.png 0 -1 0 1 0 0 0\n')
    half = math.sqrt(0.5)  # w2c rotation of 90 deg about z
    (scene / 'dataset_test.txt').write_text(header + f'seq3/frame00001.png 1 0 5 {half} 0 0 {half}\n')
    for name in ('seq1/frame00001.png', 'seq1/frame00002.png', 'seq3/frame00001.png'):
        _png(scene / name, 54, 96)
    return scene


def test_cambridge_posenet_layout_hand_computed(tmp_path):
    scene = _cambridge(tmp_path)
    train = CambridgeLandmarksNeFeSDataset(scene='ShopFacade', data_root=str(scene), img_height=24)
    assert [train.get_data_info(i)['img_id'] for i in range(2)] == ['seq1/frame00001.png', 'seq1/frame00002.png']
    assert np.allclose(train.get_data_info(0)['pose'], np.hstack([np.eye(3), [[1], [-1], [0]]]))
    info = CambridgeLandmarksNeFeSDataset(scene='ShopFacade', data_root=str(scene), split='test',
                                          img_height=24).get_data_info(0)
    # c2w rotation is Rz(-90) (transpose of the w2c quaternion); the y/z flip turns it into Rz(90)
    assert np.allclose(info['pose'], np.hstack([_rz(90), [[0], [0], [-5]]]), atol=1e-12)
    assert info['img_shape'] == (24, 43) and info['focal'] == pytest.approx(744 * 24 / 480)
    # ShopFacade NeRF frame: (t * 0.3027 + (0, 0, 2.5)) * 0.32
    assert np.allclose(info['pose_nerf'][:, 3], np.array([0, 0, -5 * 0.3027 + 2.5]) * 0.32, atol=1e-6)


def test_cambridge_malformed_lines(tmp_path):
    scene = _cambridge(tmp_path)
    with open(scene / 'dataset_train.txt', 'a') as f:
        f.write('seq1/frame00003.png 1 2 3 1 0 0\n')
    with pytest.raises(ValueError, match=r'dataset_train\.txt:6: expected "image X Y Z W P Q R"'):
        CambridgeLandmarksNeFeSDataset(scene='ShopFacade', data_root=str(scene), img_height=24)
    (scene / 'dataset_train.txt').write_text('seq1/frame00001.png 2 1 0 0 0 0 0\n')
    with pytest.raises(ValueError, match=r'dataset_train\.txt:1: zero quaternion'):
        CambridgeLandmarksNeFeSDataset(scene='ShopFacade', data_root=str(scene), img_height=24)


def test_cambridge_dsacstar_layout_drops_frames(tmp_path):
    scene = tmp_path / 'KingsCollege'
    for split, centres in (('train', [(1, 0, 0), (9, 9, 9), (-1, 0, 0)]), ('test', [(0, 0, 2)])):
        for i, c in enumerate(centres):
            _png(scene / split / 'rgb' / f'seq1_frame{i:05d}.png', 48, 85)
            (scene / split / 'poses').mkdir(parents=True, exist_ok=True)
            np.savetxt(scene / split / 'poses' / f'seq1_frame{i:05d}.txt', _c2w4(np.eye(3), c))
    ds = CambridgeLandmarksNeFeSDataset(scene='KingsCollege', data_root=str(scene), layout='dsacstar',
                                        drop_train_frames=(1, ), img_height=24)
    assert len(ds) == 2 and np.allclose(ds.get_data_info(1)['pose'][:, 3], [-1, 0, 0])
    test = CambridgeLandmarksNeFeSDataset(scene='KingsCollege', data_root=str(scene), layout='dsacstar', split='test',
                                          drop_train_frames=(1, ), img_height=24)
    assert np.allclose(test.get_data_info(0)['pose'][:, 3], [0, 0, -2])
    (scene / 'test' / 'poses' / 'seq1_frame00000.txt').unlink()
    with pytest.raises(ValueError, match='1 images in rgb/ but 0 pose files'):
        CambridgeLandmarksNeFeSDataset(scene='KingsCollege', data_root=str(scene), layout='dsacstar', split='test')


def test_load_image_transform_resizes_and_histograms(tmp_path):
    scene = _seven_scenes(tmp_path)
    with DefaultScope.overwrite_default_scope('wsl'):  # as the Runner does with default_scope='wsl'
        ds = SevenScenesNeFeSDataset(scene='chess', data_root=str(scene), img_height=24,
                                     pipeline=[dict(type='LoadNeFeSImage')])
    sample = ds[0]
    assert sample['img'].shape == (24, 32, 3) and sample['ori_shape'] == (48, 64)
    assert np.allclose(sample['img'], 128 / 255)
    assert sample['hist'].tolist() == [0, 0, 0, 0, 0, 100, 0, 0, 0, 0]  # Y = 0.502 -> bin 5
    with pytest.raises(ValueError, match='cannot read image'):
        LoadNeFeSImage()(dict(img_path=str(tmp_path / 'missing.png')))
