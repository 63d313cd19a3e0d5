"""Pose-file readers and writers: both formats, round trips, pairing, and malformed-line errors."""
import math

import numpy as np
import pytest
import torch

from wsl.localization.nefes.pose import so3_exp
from wsl.localization.nefes.pose_io import match_pose_files, read_pose_file, write_pose_file


def _poses(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    rot = so3_exp(torch.randn(n, 3, generator=g, dtype=torch.float64))
    return torch.cat([rot, torch.randn(n, 3, 1, generator=g, dtype=torch.float64)], -1).numpy()


def test_matrix_file_as_nefes_release(tmp_path):
    path = tmp_path / 'DFNet_chess_NeFeS50_APR_pose_results.txt'
    poses = _poses(3)
    np.savetxt(path, poses.reshape(3, 12))  # exactly how the official release wrote its results
    pf = read_pose_file(str(path))
    assert pf.fmt == 'matrix' and pf.names is None and len(pf) == 3
    assert np.allclose(pf.poses, poses)


@pytest.mark.parametrize('fmt', ['matrix', 'quaternion'])
def test_round_trip_with_names(tmp_path, fmt):
    poses, names = _poses(4, seed=1), [f'seq-01/frame-{i:06d}.color.png' for i in range(4)]
    write_pose_file(tmp_path / 'p.txt', poses, names, fmt=fmt)
    pf = read_pose_file(str(tmp_path / 'p.txt'))
    assert pf.fmt == fmt and pf.names == names
    assert np.allclose(pf.poses, poses, atol=1e-9)


def test_quaternion_line_values(tmp_path):
    half = math.sqrt(0.5)
    (tmp_path / 'q.txt').write_text(f'# comment\n\nimg_a.png {half} 0 0 {half} 1 2 3\n')
    pf = read_pose_file(str(tmp_path / 'q.txt'))
    assert pf.names == ['img_a.png']
    assert np.allclose(pf.poses[0], [[0, -1, 0, 1], [1, 0, 0, 2], [0, 0, 1, 3]], atol=1e-12)


@pytest.mark.parametrize('content,pattern', [
    ('1 0 0 0 0 1 0 0 0 0 1 0\n1 0 0 0 0 1 0 0 0 0 1\n', r'bad\.txt:2: expected 12 finite numbers'),
    ('1 0 0 0 0 1 0 0 0 0 1 0\nimg.png 1 0 0 0 0 0 0\n', r'bad\.txt:2: expected 12 finite numbers .*matrix format'),
    ('a.png 1 0 0 0 0 0 0\nb.png 1 0 0 0 0 0\n', r"bad\.txt:2: expected 'name qw qx qy qz tx ty tz'"),
    ('a.png 0 0 0 0 1 2 3\n', r'bad\.txt:1: zero quaternion'),
    ('hello world\n', r'bad\.txt:1: cannot read a pose'),
    ('1 0 0 0 0 1 0 0 0 0 1 nan\n', r'bad\.txt:1: cannot read a pose'),
    ('a.png 1 0 0 0 0 0 0\na.png 1 0 0 0 0 0 0\n', r"duplicate frame names \['a.png'\]"),
    ('# only a comment\n', r'no poses found'),
    ('x 1 0 0 0 0 1 0 0 0 0 1 0\n1 0 0 0 0 1 0 0 0 0 1 0\n', r'bad\.txt:2: frame names must be given on every line'),
])
def test_malformed_files_name_file_and_line(tmp_path, content, pattern):
    (tmp_path / 'bad.txt').write_text(content)
    with pytest.raises(ValueError, match=pattern):
        read_pose_file(str(tmp_path / 'bad.txt'))


def test_pairing_by_name_and_by_order(tmp_path):
    poses = _poses(3, seed=2)
    write_pose_file(tmp_path / 'gt.txt', poses, ['a', 'b', 'c'])
    write_pose_file(tmp_path / 'pred.txt', poses[[2, 0, 1]], ['c', 'a', 'b'], fmt='quaternion')
    pred, gt, labels = match_pose_files(read_pose_file(str(tmp_path / 'pred.txt')),
                                        read_pose_file(str(tmp_path / 'gt.txt')))
    assert labels == ['a', 'b', 'c'] and np.allclose(pred, gt, atol=1e-9)
    write_pose_file(tmp_path / 'short.txt', poses[:2], ['a', 'b'])
    with pytest.raises(ValueError, match=r"1 frame\(s\) of .*gt\.txt have no prediction, e\.g\. \['c'\]"):
        match_pose_files(read_pose_file(str(tmp_path / 'short.txt')), read_pose_file(str(tmp_path / 'gt.txt')))
    write_pose_file(tmp_path / 'unnamed.txt', poses[:2])
    with pytest.raises(ValueError, match='counts must agree'):
        match_pose_files(read_pose_file(str(tmp_path / 'unnamed.txt')), read_pose_file(str(tmp_path / 'gt.txt')))
