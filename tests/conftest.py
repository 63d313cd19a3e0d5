"""Shared fixtures: a tiny synthetic shapes dataset on disk, a tiny trained run, a subprocess environment."""
import os
import os.path as osp
import sys

import pytest

from wsl.testing import DET_CONFIG_REL, REPO, TINY_TRAIN_OPTIONS, run_tool, shapes_root_options

DET_CONFIG = osp.join(REPO, 'configs', DET_CONFIG_REL)


@pytest.fixture(scope='session')
def det_config():
    return DET_CONFIG


@pytest.fixture(scope='session')
def shapes_root(tmp_path_factory):
    """A tiny two-domain shapes dataset (8 train / 4 test images per domain) in VOC layout."""
    from wsl.datasets.synthetic.shapes import make_shapes_dataset
    root = str(tmp_path_factory.mktemp('shapes'))
    make_shapes_dataset(root, num_train=8, num_test=4, seed=0)
    return root


@pytest.fixture(scope='session')
def tool_env():
    """Environment for the tools in subprocesses: the checkout first on PYTHONPATH, one thread per process."""
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env['OMP_NUM_THREADS'] = '1'
    env.setdefault('MKL_NUM_THREADS', '1')
    return env


@pytest.fixture(scope='session')
def python_exe():
    return sys.executable


@pytest.fixture(scope='session')
def trained_run(shapes_root, tool_env, python_exe, tmp_path_factory):
    """A 4-iteration Faster R-CNN run through tools/train.py: work dir with iter_2/iter_4 checkpoints."""
    work_dir = str(tmp_path_factory.mktemp('train'))
    p = run_tool([python_exe, 'tools/train.py', DET_CONFIG, '--work-dir', work_dir, '--cfg-options',
                  *TINY_TRAIN_OPTIONS, *shapes_root_options(shapes_root)], tool_env)
    return dict(work_dir=work_dir, stdout=p.stdout, log=p.stdout + p.stderr)
