"""Helpers for tests and benchmarks that drive the command-line tools (as mmdet.testing does for mmdet)."""
import json
import os.path as osp
import subprocess
from typing import List, Sequence

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DET_CONFIG_REL = 'faster_rcnn/faster-rcnn_r18_fpn_1xb8-600it_shapes.py'

# Tiny training runs: 4 iterations of batch 2, checkpoints every 2 iterations, no worker processes.
TINY_TRAIN_OPTIONS = [
    'train_cfg.max_iters=4', 'train_cfg.val_interval=4', 'default_hooks.checkpoint.interval=2',
    'default_hooks.logger.interval=1', 'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False', 'param_scheduler.0.end=2', 'param_scheduler.1.end=4',
    'param_scheduler.1.milestones=[3]'
]


def shapes_root_options(root: str) -> List[str]:
    """``--cfg-options`` that point a shapes config at a dataset generated under ``root``."""
    return [f'train_dataloader.dataset.data_root={root}/source/', f'val_dataloader.dataset.data_root={root}/source/',
            f'test_dataloader.dataset.data_root={root}/target/']


def run_tool(args: Sequence, env: dict, cwd: str = REPO, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a command; raise AssertionError with the tail of its output if it exits non-zero."""
    p = subprocess.run([str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError(f'{" ".join(map(str, args))} exited {p.returncode}:\n{(p.stdout + p.stderr)[-4000:]}')
    return p


def last_json(stdout: str) -> dict:
    """The JSON object on the last non-empty line of a tool's stdout."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise AssertionError('the tool printed nothing')
    return json.loads(lines[-1])


def last_json_line(stdout: str) -> dict:
    """The last line of ``stdout`` that is a JSON object (for wrappers such as mim that print after the tool)."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith('{') and line.endswith('}'):
            return json.loads(line)
    raise AssertionError('no JSON object line in the output')


def train_then_test(config: str, opts: Sequence[str], env: dict, python: str, work_dir: str) -> dict:
    """Run ``tools/train.py`` for a tiny schedule (``opts`` include :data:`TINY_TRAIN_OPTIONS`: 4 iterations), then
    ``tools/test.py`` on its last checkpoint; check the test tool reproduces the last validation and return it."""
    import pytest
    p = run_tool([python, 'tools/train.py', config, '--work-dir', work_dir, '--cfg-options', *opts], env)
    trained = last_json(p.stdout)
    assert 'Iter(train) [4/4]' in p.stdout + p.stderr
    ckpt = osp.join(work_dir, 'iter_4.pth')
    assert osp.isfile(ckpt)
    q = run_tool([python, 'tools/test.py', config, ckpt, '--work-dir', osp.join(work_dir, 'test'), '--cfg-options',
                  *opts], env)
    assert last_json(q.stdout) == pytest.approx(trained, abs=1e-6)
    return trained


def blurred_square_scene(seed: int = 0):
    """The dense-CRF test scene: a 64x64 grey image (value 200, noise std 3) with a sharp blue square at rows
    20-43, columns 16-39, and that square Gaussian-blurred (sigma 6, peak 1) as a soft prediction.

    Returns:
        tuple: image (64, 64, 3) uint8 RGB, square (64, 64) bool, blurred (64, 64) float64 in [0, 1].
    """
    import cv2
    import numpy as np
    rng = np.random.default_rng(seed)
    img = np.full((64, 64, 3), 200, np.uint8)
    sq = np.zeros((64, 64), bool)
    sq[20:44, 16:40] = True
    img[sq] = (40, 60, 160)
    img = np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)
    blur = cv2.GaussianBlur(sq.astype(np.float64), (0, 0), 6)
    return img, sq, blur / blur.max()
