"""find_config resolves a checkout's own configs before a (possibly stale) wsl/.mim copy."""
import os.path as osp

import wsl
from wsl.utils import find_config
from wsl.utils.config import config_roots


def test_checkout_configs_come_first(tmp_path):
    pkg = osp.dirname(wsl.__file__)
    roots = config_roots()
    repo_configs = osp.join(osp.dirname(pkg), 'configs')
    if osp.isdir(repo_configs):  # running from a checkout
        assert roots[0] == repo_configs
        rel = 'h2fa/h2fa-rcnn_r18-dc5_1xb8-600it_shapes.py'
        assert find_config(rel) == osp.join(repo_configs, rel)
    mim = osp.join(pkg, '.mim', 'configs')
    if osp.isdir(mim):
        assert roots[-1] == mim
    existing = tmp_path / 'x.py'
    existing.write_text('a = 1\n')
    assert find_config(str(existing)) == str(existing)  # a real path is returned as is
