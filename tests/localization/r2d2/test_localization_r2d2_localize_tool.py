"""``tools/localize.py`` end to end on a tiny generated scene with SIFT features (Aachen file layout)."""
import importlib.util
import json
import os.path as osp

import pytest

from wsl.localization.r2d2.aachen import read_poses
from wsl.localization.r2d2.localization_benchmark import extract_to_folder, make_localization_scene
from wsl.localization.r2d2.pose_accuracy import pose_error
from wsl.localization.r2d2.sift import rootsift_features
from wsl.testing import REPO


def load_tool():
    spec = importlib.util.spec_from_file_location('localize_tool', osp.join(REPO, 'tools', 'localize.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope='module')
def scene(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('loc_scene'))
    # 12 database views (2 rows x 2 stations x 3 yaws) and 4 queries (2 day, 2 night) at 240 x 180
    sc = make_localization_scene(osp.join(root, 'scene'), 240, 180, num_positions=2, num_queries=4, seed=0)
    stats = extract_to_folder(sc['images'], osp.join(root, 'features'), lambda rgb: rootsift_features(rgb, 1500))
    assert stats['mean_keypoints'] > 150
    return sc, root


def test_localize_tool_recovers_the_query_poses(scene, capsys):
    sc, root = scene
    out = osp.join(root, 'poses.txt')
    argv = [osp.join(root, 'features'), '--queries', *sc['queries'], '--db-intrinsics', sc['db_intrinsics'],
            '--db-poses', sc['db_poses'], '--pairs', sc['pairs'], '--gt', sc['gt'], '--out', out,
            '--config', osp.join(REPO, 'configs', 'r2d2', 'r2d2_l2net_official-wasf-n16_aachen-v1-localization.py'),
            '--cfg-options', 'ransac_max_error=3.0', '--quiet']  # the config's 12 px is for Aachen's 1600 px images
    assert load_tool().main(argv) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary['num_queries'] == summary['num_localized'] == 4 and summary['num_db_images'] == 12
    assert summary['num_points3D'] > 300
    assert summary['acc_0.25m_2deg'] == 1.0 and summary['acc_1m_5deg'] == 1.0
    assert summary['median_t'] < 0.1 and summary['median_r_deg'] < 0.5
    # the submission file: basenames, world-to-camera, the same poses the tool scored
    written = read_poses(out)
    assert sorted(written) == ['000.png', '001.png', '002.png', '003.png']
    gt = read_poses(sc['gt'])
    for name, pose in gt.items():
        dt, dr = pose_error(written[name.split('/')[-1]], pose)
        assert dt < 0.25 and dr < 2.0


def test_localize_tool_reports_bad_input(scene, capsys, tmp_path):
    sc, root = scene
    bad = tmp_path / 'queries.txt'
    bad.write_text('query/day/000.png SIMPLE_RADIAL 240 180 200 120\n')
    argv = [osp.join(root, 'features'), '--queries', str(bad), '--db-intrinsics', sc['db_intrinsics'],
            '--db-poses', sc['db_poses']]
    assert load_tool().main(argv) == 1
    assert f'{bad}:1: camera model SIMPLE_RADIAL takes 4 parameters, got 2' in capsys.readouterr().err
    assert load_tool().main(argv[:3] + ['--cfg-options', 'ransac=3']) == 1
    assert 'unknown localization settings' in capsys.readouterr().err
    # all pairs (no pair list) and a ratio test also localize the day queries
    argv = [osp.join(root, 'features'), '--queries', sc['queries'][0], '--db-intrinsics', sc['db_intrinsics'],
            '--db-poses', sc['db_poses'], '--gt', sc['gt'], '--cfg-options', 'ratio=0.95', 'ransac_max_error=3.0',
            '--quiet']
    assert load_tool().main(argv) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary['num_localized'] == 2 and summary['num_db_pairs'] == 66
    # the GT holds 4 queries, only the 2 day ones were asked for
    assert summary['num_queries'] == 4 and summary['acc_0.5m_5deg'] == 0.5


def test_basename_ground_truth_and_benchmark_scoring(scene, capsys, tmp_path):
    from wsl.localization.r2d2.aachen import write_poses
    from wsl.localization.r2d2.localization_benchmark import evaluate_features
    sc, root = scene
    gt_base = str(tmp_path / 'gt_basenames.txt')
    write_poses(gt_base, read_poses(sc['gt']), basename=True)  # a submission-format ground truth
    argv = [osp.join(root, 'features'), '--queries', *sc['queries'], '--db-intrinsics', sc['db_intrinsics'],
            '--db-poses', sc['db_poses'], '--pairs', sc['pairs'], '--gt', gt_base, '--cfg-options',
            'ransac_max_error=3.0', '--quiet']
    assert load_tool().main(argv) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary['num_localized'] == 4 and summary['acc_0.25m_2deg'] == 1.0
    # the benchmark's scoring of the same run: per subset, plus the triangulated points against the true surfaces
    r = evaluate_features(sc, osp.join(root, 'features'), seed=0, cfg=dict(ransac_max_error=3.0))
    assert r['all']['acc_0.25m_2deg'] == 1.0 and r['day']['num_queries'] == r['night']['num_queries'] == 2
    assert r['num_points3D'] == summary['num_points3D']
    assert r['point_err_median_m'] < 0.1 and 0.5 < r['points_within_10cm'] <= 1.0
