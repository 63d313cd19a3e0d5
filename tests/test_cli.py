"""The `wsl` command: help, benchmark listing and errors, the data generator."""
import json
import os.path as osp
import subprocess
import sys

from wsl.testing import REPO


def _wsl(*args, env=None):
    return subprocess.run([sys.executable, '-m', 'wsl.cli', *args], capture_output=True, text=True, cwd=REPO,
                          env=env)


def test_help_lists_the_commands():
    p = _wsl('--help')
    assert p.returncode == 0
    for cmd in ('demo', 'bench', 'data'):
        assert cmd in p.stdout


def test_bench_lists_and_rejects_unknown_names():
    p = _wsl('bench')
    assert p.returncode == 0 and 'faster-rcnn-source-only' in p.stdout
    p = _wsl('bench', 'no-such-bench')
    assert p.returncode == 2 and "unknown benchmark 'no-such-bench'" in p.stderr


def test_data_shapes_writes_voc_and_prints_json(tmp_path):
    out = tmp_path / 'shapes'
    p = _wsl('data', 'shapes', '--out', str(out), '--num-train', '3', '--num-test', '2')
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout.strip().splitlines()[-1])
    assert info['classes'] == ['circle', 'square', 'triangle', 'star']
    assert info['domains'] == ['source', 'target', 'target_mild']
    for dom in ('source', 'target', 'target_mild'):
        ids = open(osp.join(out, dom, 'ImageSets', 'Main', 'train.txt')).read().split()
        assert len(ids) == 3
        assert all(osp.isfile(osp.join(out, dom, 'Annotations', f'{i}.xml')) for i in ids)


def test_data_shapes_backbone_writes_a_loadable_checkpoint(tmp_path):
    import torch
    out = tmp_path / 'bb.pth'
    p = _wsl('data', 'shapes-backbone', '--out', str(out), '--iters', '1', '--num-train', '4')
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout.strip().splitlines()[-1])
    assert info['iters'] == 1 and info['num_images'] == 4 and info['checkpoint'] == str(out)
    sd = torch.load(out, weights_only=True)['state_dict']
    assert sd['conv1.weight'].shape == (64, 3, 7, 7) and sd['layer4.0.conv1.weight'].shape == (512, 256, 3, 3)
