"""tools/eval_pose.py end to end on files the test writes."""
import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]


def _main():
    """tools/eval_pose.py's main(), loaded in-process (the subprocess test covers the real entry point)."""
    spec = importlib.util.spec_from_file_location('eval_pose_tool', ROOT / 'tools' / 'eval_pose.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main


def _run(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get('PYTHONPATH', ''))
    return subprocess.run([sys.executable, str(ROOT / 'tools' / 'eval_pose.py'), *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _rz(deg):
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def test_cli_prints_table_and_json_last_line(tmp_path):
    gt = np.stack([np.hstack([np.eye(3), [[0], [0], [0]]])] * 3)
    pred = gt.copy()
    pred[:, :, 3] = [[0.1, 0, 0], [0, 0.2, 0], [0, 0, 0.4]]  # translation errors 0.1, 0.2, 0.4
    for i, deg in enumerate([1.0, 3.0, 2.0]):
        pred[i, :, :3] = _rz(deg) * 1.001  # off-orthonormal, as regressed poses are
    np.savetxt(tmp_path / 'pred.txt', pred.reshape(3, 12))
    np.savetxt(tmp_path / 'gt.txt', gt.reshape(3, 12))
    res = _run(tmp_path / 'pred.txt', tmp_path / 'gt.txt')
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert 'median t (m)' in lines[0]
    out = json.loads(lines[-1])
    assert out['median_translation_m'] == pytest.approx(0.2)
    assert out['median_rotation_deg'] == pytest.approx(2.0)
    assert out['per_file'][0]['num_frames'] == 3


def test_cli_averages_pairs_and_reads_quaternion_lines(tmp_path, capsys):
    (tmp_path / 'gt_q.txt').write_text('a 1 0 0 0 0 0 0\nb 1 0 0 0 1 1 1\n')
    (tmp_path / 'pred_q.txt').write_text('b 1 0 0 0 1 1 2\na 1 0 0 0 0 0 0\n')  # errors 0 and 1 -> median 0.5
    np.savetxt(tmp_path / 'gt.txt', np.hstack([np.eye(3), np.zeros((3, 1))]).reshape(1, 12))
    np.savetxt(tmp_path / 'pred.txt', np.hstack([np.eye(3), [[0], [0], [1.5]]]).reshape(1, 12))
    rc = _main()([str(tmp_path / f) for f in ('pred_q.txt', 'gt_q.txt', 'pred.txt', 'gt.txt')])
    assert rc == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out['num_files'] == 2
    assert out['median_translation_m'] == pytest.approx((0.5 + 1.5) / 2)


def test_cli_reports_malformed_file(tmp_path, capsys):
    (tmp_path / 'gt.txt').write_text('1 0 0 0 0 1 0 0 0 0 1 0\n')
    (tmp_path / 'pred.txt').write_text('1 0 0 0 0 1 0 0 0 0 1\n')
    assert _main()([str(tmp_path / 'pred.txt'), str(tmp_path / 'gt.txt')]) == 1
    err = capsys.readouterr().err
    assert 'pred.txt:1' in err and '12 finite numbers' in err

