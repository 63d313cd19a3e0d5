"""tools/train.py + tools/test.py on the D2-Net synthetic config, and the ActivityNet JSON they write."""
import importlib.util
import json
import os.path as osp

import pytest

from wsl.datasets.synthetic.wtalc import D2NET_SYNTHETIC, make_wtalc_synthetic
from wsl.testing import REPO, last_json, run_tool
from wsl.utils import safe_torch_load

CONFIG = 'configs/d2net/d2net_tcn_1xb10-400it_synthetic-wtalc.py'


def _eval_tool():
    """tools/eval_temporal.py loaded in-process (its subprocess path is tested in test_temporal_eval_tool.py)."""
    spec = importlib.util.spec_from_file_location('eval_temporal', osp.join(REPO, 'tools', 'eval_temporal.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _root_options(root):
    return [f'{k}.dataset.data_root={root}' for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')]


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory, tool_env, python_exe):
    """A 4-iteration run (L_D on from iteration 2) on 8 train / 4 test videos of the config's feature size."""
    root = str(tmp_path_factory.mktemp('wtalc'))
    kw = {k: v for k, v in D2NET_SYNTHETIC.items() if k not in ('num_train', 'num_test')}
    make_wtalc_synthetic(root, num_train=8, num_test=4, length_range=(30, 60), seed=7, **kw)
    work = str(tmp_path_factory.mktemp('work'))
    p = run_tool([python_exe, 'tools/train.py', CONFIG, '--work-dir', work, '--cfg-options', *_root_options(root),
                  'train_cfg.max_iters=4', 'train_cfg.val_interval=4', 'default_hooks.checkpoint.interval=2',
                  'default_hooks.logger.interval=1', 'train_dataloader.batch_size=4', 'model.denoise_start_iter=1'],
                 tool_env)
    return dict(root=root, work=work, stdout=p.stdout, log=p.stdout + p.stderr)


def test_train_tool_trains_validates_and_checkpoints(tiny_run):
    metrics = last_json(tiny_run['stdout'])
    assert {'tad/mAP@0.10', 'tad/mAP@0.50', 'tad/avg@0.1:0.5', 'tad/F1@0.50'} <= set(metrics)
    assert all(0.0 <= v <= 100.0 for v in metrics.values())
    assert 'Iter(train) [4/4]' in tiny_run['log']
    ck = safe_torch_load(osp.join(tiny_run['work'], 'iter_4.pth'))
    assert ck['meta']['iter'] == 4
    x_ref = ck['state_dict']['x_ref']
    assert x_ref.shape == (D2NET_SYNTHETIC['feat_dim'] // 2, ) and float(x_ref.abs().sum()) > 0  # saved, updated
    assert 'Saving checkpoint at 2 iterations' in tiny_run['log']  # the config keeps only the last one


def test_test_tool_writes_activitynet_json_that_evaluates_to_the_same_map(tiny_run, tool_env, python_exe,
                                                                          tmp_path):
    ckpt = osp.join(tiny_run['work'], 'iter_4.pth')
    prefix = str(tmp_path / 'preds')
    p = run_tool([python_exe, 'tools/test.py', CONFIG, ckpt, '--work-dir', str(tmp_path / 'test'), '--cfg-options',
                  f'test_dataloader.dataset.data_root={tiny_run["root"]}', f'test_evaluator.outfile_prefix={prefix}'],
                 tool_env)
    metrics = last_json(p.stdout)
    # the same checkpoint on the same split: the test tool reproduces the end-of-training validation
    assert metrics == pytest.approx(last_json(tiny_run['stdout']), abs=1e-9)
    with open(f'{prefix}.results.json') as f:
        results = json.load(f)['results']
    with open(f'{prefix}.gt.json') as f:
        gt = json.load(f)
    assert len(gt['database']) == 4 and gt['classes'] == [f'Action{c:02d}' for c in range(6)]
    assert set(results) <= set(gt['database']) and sum(map(len, results.values())) > 0
    for dets in results.values():
        for d in dets:
            assert d['label'] in gt['classes'] and d['segment'][0] < d['segment'][1]
    assert not osp.isfile(f'{prefix}.ambiguous.json')  # the synthetic config does not filter look-alikes
    ev = _eval_tool().main([f'{prefix}.gt.json', f'{prefix}.results.json', '--protocol', 'legacy', '--iou', '0.1:0.5'])
    for t in ('0.10', '0.30', '0.50'):
        assert ev[f'mAP@{t}'] == pytest.approx(metrics[f'tad/mAP@{t}'], abs=1e-3)  # the tool rounds to 4 digits
    assert ev['avg@0.1:0.5'] == pytest.approx(metrics['tad/avg@0.1:0.5'], abs=1e-3)
