"""`mim train wsl CONFIG` and `mim test wsl CONFIG --checkpoint CKPT` resolve the installed package's .mim files."""
import filecmp
import importlib.metadata as md
import os.path as osp
import sys

import pytest

from wsl.testing import DET_CONFIG_REL, REPO, TINY_TRAIN_OPTIONS, last_json_line, run_tool, shapes_root_options
from wsl.utils import safe_torch_load


@pytest.fixture(scope='module')
def installed_pkg():
    """The installed (non-editable) `wsl`, which must be the checkout's current code (`make env` installs it)."""
    dist = md.distribution('wsl')  # never resolve `wsl` from an index: PyPI's `wsl` is another project
    root = osp.join(str(dist.locate_file('')), 'wsl')
    mim_dir = osp.join(root, '.mim')
    for rel in ('tools/train.py', 'tools/test.py', osp.join('configs', DET_CONFIG_REL)):
        installed = osp.join(mim_dir, rel)
        assert osp.isfile(installed), f'{installed} missing: install wsl with `make env` (pip install .)'
        assert filecmp.cmp(installed, osp.join(REPO, rel), shallow=False), \
            f'installed {rel} differs from the checkout: run `make env` to reinstall wsl'
    return root


def test_mim_train_and_test(installed_pkg, shapes_root, tool_env, tmp_path):
    mim = osp.join(osp.dirname(sys.executable), 'mim')
    assert osp.isfile(mim), 'openmim is not installed in this environment (make env installs it)'
    cfg_name = osp.basename(DET_CONFIG_REL)  # mim finds configs by basename inside the package
    wd = tmp_path / 'wd'
    opts = [*TINY_TRAIN_OPTIONS, *shapes_root_options(shapes_root)]
    p = run_tool([mim, 'train', 'wsl', cfg_name, '--work-dir', str(wd), '--cfg-options', *opts], tool_env,
                 cwd=str(tmp_path))
    log = p.stdout + p.stderr
    assert 'Iter(train) [4/4]' in log
    # mim ran the installed package's train script on the installed package's config.
    assert osp.join(installed_pkg, '.mim', 'tools', 'train.py') in p.stdout
    assert osp.join(installed_pkg, '.mim', 'configs', DET_CONFIG_REL) in p.stdout
    assert p.stdout.strip().splitlines()[-1].startswith('Training finished successfully')
    train_metrics = last_json_line(p.stdout)
    assert safe_torch_load(str(wd / 'iter_4.pth'))['meta']['iter'] == 4
    opts_src = [*opts, f'test_dataloader.dataset.data_root={shapes_root}/source/']
    p = run_tool([mim, 'test', 'wsl', cfg_name, '--checkpoint', str(wd / 'iter_4.pth'), '--work-dir',
                  str(tmp_path / 'test'), '--cfg-options', *opts_src], tool_env, cwd=str(tmp_path))
    # Testing the final checkpoint on the validation split reproduces the last validation metrics.
    assert last_json_line(p.stdout) == pytest.approx(train_metrics, abs=1e-6)
