"""tools/nefes_refine.py over a tiny test set: both modes, pose files, and resuming after an interruption."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch

from wsl.localization.nefes.pose_io import read_pose_file, write_pose_file
from wsl.localization.nefes.refine_dataset import RefinementJournal
from wsl.localization.nefes.room_setup import prepare_room
from wsl.testing import REPO

CONFIG = """
default_scope = 'wsl'
grid = dict(type='NeFeSGridField', bounds=((-2.05, -2.65, -2.05), (2.05, 0.05, 2.05)), resolutions=(4, 8),
            grid_channels=2, width=8, feature_channels=8)
model = dict(type='NeFeSModel', render_scale=1,
             nefes=dict(coarse=grid, fine=dict(grid, transient=True), fusion=dict(feature_channels=8, mid_channels=4),
                        renderer=dict(num_coarse=4, num_fine=4)),
             feature_extractor=dict(type='DFNet', feature_channels=8))
refine_dataset = dict(type='SevenScenesNeFeSDataset', scene='room', data_root='{root}', img_height=12,
                      pose_avg_file='{root}/pose_avg_stats.txt',
                      scene_setup=dict(near=0.0, far=6.3),
                      pipeline=[dict(type='LoadNeFeSImage'), dict(type='PackNeFeSInputs')])
refine_cfg = dict(mode='pose', num_iters=2, lr=1e-5, lr_rot=0.001, lr_trans=0.001, render_size=(6, 8),
                  feature_size=(12, 16), border=1, verify=True, freeze_bn=False)
"""
APR_CONFIG = "model = dict(type='NeFeSAPRModel', apr=dict(type='PoseNetResNetAPR', depth=18, hidden=16))\n"


def _tool():
    spec = importlib.util.spec_from_file_location('nefes_refine_tool', osp.join(REPO, 'tools', 'nefes_refine.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    from mmengine.registry import DefaultScope

    from wsl.registry import MODELS
    from wsl.utils import register_all_modules
    tmp = tmp_path_factory.mktemp('refine')
    root = prepare_room(str(tmp / 'data'), num_train=4, num_test=4, height=12, width=16, supersample=1)
    cfg_path, apr_cfg_path = tmp / 'nefes_tiny.py', tmp / 'apr_tiny.py'
    cfg_path.write_text(CONFIG.replace('{root}', root))
    apr_cfg_path.write_text(APR_CONFIG)
    register_all_modules()
    torch.manual_seed(0)
    from mmengine.config import Config
    with DefaultScope.overwrite_default_scope('wsl'):
        model = MODELS.build(Config.fromfile(str(cfg_path)).model)
        apr = MODELS.build(Config.fromfile(str(apr_cfg_path)).model)
    torch.save(dict(state_dict=model.state_dict()), tmp / 'nefes.pth')
    torch.save(dict(state_dict=apr.state_dict()), tmp / 'apr.pth')
    # initial poses: ground truth shifted by 10 cm along x (named lines, APR frame)
    from wsl.registry import DATASETS
    with DefaultScope.overwrite_default_scope('wsl'):
        ds = DATASETS.build(Config.fromfile(str(cfg_path)).refine_dataset)
    gt = np.stack([ds.get_data_info(i)['pose'] for i in range(len(ds))]).astype(np.float64)
    names = [ds.get_data_info(i)['img_id'] for i in range(len(ds))]
    init = gt.copy()
    init[:, 0, 3] += 0.1
    write_pose_file(str(tmp / 'init.txt'), init, names, fmt='quaternion')
    return dict(tmp=tmp, cfg=str(cfg_path), apr_cfg=str(apr_cfg_path), gt=gt, names=names)


def test_pose_mode_resumes_after_an_interruption_and_writes_each_frame_once(setup, capsys):
    tool, tmp = _tool(), setup['tmp']
    out = str(tmp / 'out_pose')
    args = [setup['cfg'], str(tmp / 'nefes.pth'), '--out', out, '--init-poses', str(tmp / 'init.txt'), '--no-progress']
    assert tool.main(args + ['--stop-after', '2']) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first == dict(num_frames=4, num_new=2, complete=False)
    assert not osp.exists(osp.join(out, 'refined_poses.txt'))
    journal = osp.join(out, 'journal.jsonl')
    before = open(journal).read().splitlines()
    assert [json.loads(line)['name'] for line in before] == setup['names'][:2]
    with open(journal, 'a') as f:  # a crash in the middle of writing the 3rd frame
        f.write('{"name": "' + setup['names'][2] + '", "initial": [1.0, 2')
    assert tool.main(args) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    after = open(journal).read().splitlines()
    assert after[:2] == before  # finished frames were not redone
    assert sorted(json.loads(line)['name'] for line in after) == sorted(setup['names'])  # each frame exactly once
    assert summary['num_new'] == 2 and summary['complete']
    assert summary['initial_median_translation_m'] == pytest.approx(0.1, abs=1e-6)
    assert summary['initial_median_rotation_deg'] == pytest.approx(0.0, abs=1e-3)
    matrix = np.loadtxt(osp.join(out, 'refined_poses.txt'))
    assert matrix.shape == (4, 12)
    named = read_pose_file(osp.join(out, 'refined_poses_named.txt'))
    assert named.names == setup['names'] and np.allclose(named.poses, matrix.reshape(4, 3, 4), atol=1e-6)
    records = RefinementJournal(journal).load()
    assert np.allclose(matrix, [records[n]['refined'] for n in setup['names']])
    assert np.allclose(read_pose_file(osp.join(out, 'gt_poses_named.txt')).poses, setup['gt'], atol=1e-6)
    assert tool.main(args) == 0  # a finished run does nothing more
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])['num_new'] == 0


def test_apr_mode_refines_a_copy_of_the_apr(setup, capsys):
    tool, tmp = _tool(), setup['tmp']
    out = str(tmp / 'out_apr')
    rc = tool.main([setup['cfg'], str(tmp / 'nefes.pth'), '--out', out, '--mode', 'apr', '--apr-config',
                    setup['apr_cfg'], '--apr-checkpoint', str(tmp / 'apr.pth'), '--max-frames', '2', '--no-progress',
                    # a 12 x 16 query leaves 1 x 1 maps in ResNet's last stages: BN needs running stats (T7)
                    '--cfg-options', 'refine_cfg.freeze_bn=True'])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary['num_frames'] == 2 and summary['complete'] and 0 <= summary['fallback_rate'] <= 1
    recs = [json.loads(line) for line in open(osp.join(out, 'journal.jsonl'))]
    for rec in recs:
        rot = np.asarray(rec['initial']).reshape(3, 4)[:, :3]
        assert np.allclose(rot @ rot.T, np.eye(3), atol=1e-5)  # APR output projected onto SO(3)
        assert rec['fell_back'] or rec['refined'] != rec['initial']
    # missing APR in APR mode: a clear error, exit code 1
    assert tool.main([setup['cfg'], str(tmp / 'nefes.pth'), '--out', str(tmp / 'x'), '--mode', 'apr',
                      '--no-progress']) == 1
    assert 'needs an APR' in capsys.readouterr().err
