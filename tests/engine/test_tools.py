"""tools/train.py and tools/test.py on the shipped Faster R-CNN config: checkpoints, metrics, resume, options."""
import argparse
import glob
import os.path as osp
import pickle

import pytest
import torch
from mmengine.config import Config, DictAction

from wsl.datasets.synthetic.shapes import SHAPES_CLASSES
from wsl.testing import TINY_TRAIN_OPTIONS, last_json, run_tool, shapes_root_options
from wsl.utils import safe_torch_load


def test_train_writes_checkpoints_and_prints_metrics(trained_run):
    wd = trained_run['work_dir']
    assert osp.isfile(osp.join(wd, 'iter_2.pth')) and osp.isfile(osp.join(wd, 'iter_4.pth'))
    metrics = last_json(trained_run['stdout'])
    assert set(metrics) == {'pascal_voc/mAP', 'pascal_voc/AP50'}
    assert 0.0 <= metrics['pascal_voc/mAP'] <= 1.0
    ck = safe_torch_load(osp.join(wd, 'iter_4.pth'))
    assert ck['meta']['iter'] == 4
    assert tuple(ck['meta']['dataset_meta']['classes']) == SHAPES_CLASSES
    assert 'Iter(train) [4/4]' in trained_run['log']


def test_test_tool_reproduces_the_validation_metrics(trained_run, shapes_root, det_config, tool_env, python_exe,
                                                    tmp_path):
    wd = trained_run['work_dir']
    out = tmp_path / 'preds.pkl'
    # Test on the source-test split, which is what the training run validated on at its last iteration.
    opts = [*TINY_TRAIN_OPTIONS, *shapes_root_options(shapes_root),
            f'test_dataloader.dataset.data_root={shapes_root}/source/']
    p = run_tool([python_exe, 'tools/test.py', det_config, osp.join(wd, 'iter_4.pth'), '--work-dir',
                  str(tmp_path / 'test'), '--out', str(out), '--cfg-options', *opts], tool_env)
    assert last_json(p.stdout) == pytest.approx(last_json(trained_run['stdout']), abs=1e-6)
    with open(out, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 4  # num_test images of the source domain
    assert {'pred_instances', 'img_id'} <= set(preds[0])


def _resume_runner(cfg_path, ckpt, work_dir, opts):
    from wsl.engine import build_runner, prepare_train_cfg
    from wsl.utils import register_all_modules
    register_all_modules()
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)  # as tools/train.py parses them
    cfg = Config.fromfile(cfg_path)
    cfg.merge_from_dict(parser.parse_args(['--cfg-options', *opts]).cfg_options)
    prepare_train_cfg(cfg, cfg_path, work_dir=work_dir, resume=ckpt)
    return build_runner(cfg)


def test_resume_restores_iteration_optimizer_and_scheduler(trained_run, shapes_root, det_config, tmp_path):
    ckpt_path = osp.join(trained_run['work_dir'], 'iter_2.pth')
    opts = [*TINY_TRAIN_OPTIONS, *shapes_root_options(shapes_root)]
    runner = _resume_runner(det_config, ckpt_path, str(tmp_path / 'r'), opts)
    runner._train_loop = runner.build_train_loop(runner._train_loop)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.param_schedulers = runner.build_param_scheduler(runner.param_schedulers)
    runner.load_or_resume()
    ck = safe_torch_load(ckpt_path)
    assert runner.iter == 2
    state = runner.optim_wrapper.state_dict()
    saved = ck['optimizer']
    assert state['param_groups'][0]['lr'] == pytest.approx(saved['param_groups'][0]['lr'])
    assert len(state['state']) == len(saved['state']) > 0
    for k, v in saved['state'].items():
        assert torch.equal(state['state'][k]['momentum_buffer'], v['momentum_buffer'])
    assert len(ck['param_schedulers']) == len(runner.param_schedulers) == 2
    for sch, saved_sch in zip(runner.param_schedulers, ck['param_schedulers']):
        assert sch.state_dict() == saved_sch
    # The MultiStepLR scheduler has counted the 2 finished iterations.
    assert runner.param_schedulers[1].state_dict()['_global_step'] == 2
    assert runner.param_schedulers[1].state_dict()['last_step'] == 2
    model_sd = runner.model.state_dict()
    for k, v in ck['state_dict'].items():
        assert torch.equal(model_sd[k], v)


def test_resume_through_the_tool_continues_at_the_saved_iteration(trained_run, shapes_root, det_config, tool_env,
                                                                  python_exe, tmp_path):
    p = run_tool([python_exe, 'tools/train.py', det_config, '--work-dir', str(tmp_path), '--resume',
                  osp.join(trained_run['work_dir'], 'iter_2.pth'), '--cfg-options', *TINY_TRAIN_OPTIONS,
                  *shapes_root_options(shapes_root)], tool_env)
    log = p.stdout + p.stderr
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [1/4]' not in log and 'Iter(train) [2/4]' not in log
    assert 'Iter(train) [3/4]' in log and 'Iter(train) [4/4]' in log
    assert safe_torch_load(str(tmp_path / 'iter_4.pth'))['meta']['iter'] == 4


def test_auto_resume_picks_the_latest_checkpoint(trained_run, shapes_root, det_config, tool_env,
                                                                   python_exe, tmp_path):
    import shutil
    wd = tmp_path / 'wd'
    shutil.copytree(trained_run['work_dir'], wd)
    opts = [o for o in TINY_TRAIN_OPTIONS if not o.startswith(('train_cfg.', 'param_scheduler.1'))]
    p = run_tool([python_exe, 'tools/train.py', det_config, '--work-dir', str(wd), '--resume',
                  '--cfg-options', *opts, 'train_cfg.max_iters=5', 'train_cfg.val_interval=5',
                  'param_scheduler.1.end=5', 'param_scheduler.1.milestones=[3]',
                  *shapes_root_options(shapes_root)], tool_env)
    log = p.stdout + p.stderr
    assert 'resumed epoch: 0, iter: 4' in log and 'Iter(train) [5/5]' in log
    assert safe_torch_load(str(wd / 'iter_5.pth'))['meta']['iter'] == 5


def test_auto_scale_lr_scales_by_total_batch(shapes_root, det_config, tmp_path):
    opts = [*TINY_TRAIN_OPTIONS, *shapes_root_options(shapes_root)]
    from wsl.engine import build_runner, prepare_train_cfg
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    cfg = Config.fromfile(det_config)
    cfg.merge_from_dict(parser.parse_args(['--cfg-options', *opts]).cfg_options)
    prepare_train_cfg(cfg, det_config, work_dir=str(tmp_path), auto_scale_lr=True)
    assert cfg.auto_scale_lr.enable is True
    runner = build_runner(cfg)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.scale_lr(runner.optim_wrapper, runner.auto_scale_lr)
    # batch 2 on 1 process against base_batch_size 8: lr 0.02 -> 0.005.
    assert runner.optim_wrapper.param_groups[0]['lr'] == pytest.approx(0.005)
    cfg = Config.fromfile(det_config)
    cfg.auto_scale_lr = None
    with pytest.raises(ValueError, match='auto_scale_lr.base_batch_size'):
        prepare_train_cfg(cfg, det_config, auto_scale_lr=True)


def test_amp_without_cuda_is_a_clear_error(det_config):
    from wsl.engine import prepare_train_cfg
    cfg = Config.fromfile(det_config)
    if torch.cuda.is_available():
        prepare_train_cfg(cfg, det_config, amp=True)
        assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    else:
        with pytest.raises(RuntimeError, match='--amp needs a CUDA device'):
            prepare_train_cfg(cfg, det_config, amp=True)


def test_missing_checkpoints_are_reported_before_building(det_config, tmp_path):
    from wsl.engine import prepare_test_cfg, prepare_train_cfg
    cfg = Config.fromfile(det_config)
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        prepare_test_cfg(cfg, det_config, str(tmp_path / 'nope.pth'))
    with pytest.raises(FileNotFoundError, match='--resume.*gone.pth'):
        prepare_train_cfg(Config.fromfile(det_config), det_config, resume=str(tmp_path / 'gone.pth'))
    cfg = Config.fromfile(det_config)
    cfg.load_from = str(tmp_path / 'missing_weights.pth')
    with pytest.raises(FileNotFoundError, match='load_from.*missing_weights.pth'):
        prepare_train_cfg(cfg, det_config)


def test_help_exits_zero_and_accepts_local_rank(tool_env, python_exe):
    # mim runs `train.py -h` first and torch.distributed.launch passes --local-rank.
    p = run_tool([python_exe, 'tools/train.py', '-h'], tool_env)
    assert '--local-rank' in p.stdout or '--local_rank' in p.stdout
    p = run_tool([python_exe, 'tools/test.py', '-h'], tool_env)
    assert '--out' in p.stdout and 'checkpoint' in p.stdout
    assert glob.glob(osp.join(osp.dirname(osp.dirname(osp.dirname(__file__))), 'tools', 'dist_*.sh'))
