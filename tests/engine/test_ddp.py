"""Distributed training: 2 processes with the gloo backend on CPU through torchrun (tools/dist_train.sh)."""
import os
import os.path as osp
import socket

import torch

from wsl.testing import REPO, TINY_TRAIN_OPTIONS, last_json, run_tool, shapes_root_options
from wsl.utils import safe_torch_load

# A hook that each rank uses to dump its final parameters and the data it saw; written by the test, imported by
# the training processes through the config's custom_imports.
_DUMP_HOOK = '''
import os.path as osp
import torch
from mmengine.hooks import Hook
from wsl.registry import HOOKS


@HOOKS.register_module()
class DumpRankStateHook(Hook):
    def __init__(self):
        self.seen = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.seen += [s.img_id for s in data_batch['data_samples']]

    def after_train(self, runner):
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        torch.save(dict(state={k: v.detach().cpu() for k, v in model.named_parameters()}, seen=self.seen,
                        world_size=runner.world_size, wrapper=type(runner.model).__name__),
                   osp.join(runner.work_dir, f'rank{runner.rank}.pt'))
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_rank_gloo_training_ends_with_identical_parameters(shapes_root, det_config, tool_env, python_exe,
                                                               tmp_path):
    (tmp_path / 'dump_rank_state.py').write_text(_DUMP_HOOK)
    env = dict(tool_env)
    env['PYTHONPATH'] = str(tmp_path) + os.pathsep + env['PYTHONPATH']
    env['PORT'] = str(_free_port())
    env['PYTHON'] = python_exe
    wd = tmp_path / 'wd'
    cfg = tmp_path / 'ddp_cfg.py'
    cfg.write_text(f"_base_ = '{det_config}'\n"
                   "custom_imports = dict(imports=['dump_rank_state'], allow_failed_imports=False)\n"
                   "custom_hooks = [dict(type='DumpRankStateHook')]\n")
    opts = [*TINY_TRAIN_OPTIONS, *shapes_root_options(shapes_root)]
    p = run_tool(['bash', osp.join(REPO, 'tools', 'dist_train.sh'), str(cfg), '2', '--work-dir', str(wd),
                  '--cfg-options', *opts], env)
    assert 0.0 <= last_json(p.stdout)['pascal_voc/mAP'] <= 1.0
    r0 = torch.load(wd / 'rank0.pt', weights_only=True)
    r1 = torch.load(wd / 'rank1.pt', weights_only=True)
    assert r0['world_size'] == r1['world_size'] == 2
    assert r0['wrapper'] == 'MMDistributedDataParallel'
    # Each rank trained on its own shard of the data ...
    assert len(r0['seen']) == len(r1['seen']) == 4 * 2
    assert r0['seen'] != r1['seen']
    # ... and gradient averaging kept the parameter replicas identical. (BatchNorm running statistics are
    # per-rank between forwards: DDP broadcasts rank 0's buffers at the start of each forward.)
    assert len(r0['state']) > 50 and r0['state'].keys() == r1['state'].keys()
    for k in r0['state']:
        assert torch.equal(r0['state'][k], r1['state'][k]), k
    # The checkpoint (written by rank 0) holds those parameters, and training moved them.
    ck = safe_torch_load(str(wd / 'iter_4.pth'))['state_dict']
    first = safe_torch_load(str(wd / 'iter_2.pth'))['state_dict']
    assert all(torch.equal(ck[k], r0['state'][k]) for k in r0['state'])
    assert any(not torch.equal(ck[k], first[k]) for k in r0['state'])
