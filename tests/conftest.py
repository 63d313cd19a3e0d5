"""Shared fixtures: a tiny synthetic shapes dataset on disk and the path of the shipped detection config."""
import os
import os.path as osp
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DET_CONFIG = osp.join(REPO, 'configs', 'faster_rcnn', 'faster-rcnn_r18_fpn_1xb8-600it_shapes.py')

# Tiny training runs for the tool tests: 4 iterations of batch 2, checkpoints every 2 iterations.
TINY_TRAIN_OPTIONS = [
    'train_cfg.max_iters=4', 'train_cfg.val_interval=4', 'default_hooks.checkpoint.interval=2',
    'default_hooks.logger.interval=1', 'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False', 'param_scheduler.0.end=2', 'param_scheduler.1.end=4',
    'param_scheduler.1.milestones=[3]'
]


def data_root_options(root: str) -> list:
    """--cfg-options that point the shapes config at a dataset generated under ``root``."""
    return [f'train_dataloader.dataset.data_root={root}/source/', f'val_dataloader.dataset.data_root={root}/source/',
            f'test_dataloader.dataset.data_root={root}/target/']


@pytest.fixture(scope='session')
def shapes_root(tmp_path_factory):
    """A tiny two-domain shapes dataset (8 train / 4 test images per domain) in VOC layout."""
    from wsl.datasets.synthetic.shapes import make_shapes_dataset
    root = str(tmp_path_factory.mktemp('shapes'))
    make_shapes_dataset(root, num_train=8, num_test=4, seed=0)
    return root


@pytest.fixture(scope='session')
def tool_env():
    """Environment for running the tools in subprocesses: the checkout first on PYTHONPATH, one thread."""
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env['OMP_NUM_THREADS'] = '1'
    env.setdefault('MKL_NUM_THREADS', '1')
    return env


@pytest.fixture(scope='session')
def python_exe():
    return sys.executable
