"""Safe checkpoint loading: runner checkpoints load with weights_only=True; pickled code is refused."""
import argparse
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

from wsl.utils.checkpoint import UNSAFE_ENV, UnsafeCheckpointError, register_safe_checkpoint_loader, safe_torch_load


class _Evil:
    """Unpickling this writes a file: the kind of object a checkpoint must never be allowed to run."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, 'w'))


def _runner_like_checkpoint():
    buf = HistoryBuffer()
    for v in (1.0, 2.0, 4.0):
        buf.update(v)
    return dict(meta=dict(iter=7, seed=np.int64(3), dataset_meta=dict(classes=('a', 'b'))),
                state_dict={'w': torch.arange(4.0)},
                message_hub=dict(log_scalars={'train/loss': buf}, runtime_info={'arr': np.arange(3, dtype=np.float32),
                                                                                  'dt': np.dtype('float64')}),
                optimizer=dict(state={}, param_groups=[dict(lr=0.1)]))


def test_runner_checkpoint_round_trip(tmp_path):
    f = tmp_path / 'ckpt.pth'
    torch.save(_runner_like_checkpoint(), f)
    ck = safe_torch_load(str(f))
    assert ck['meta']['iter'] == 7 and int(ck['meta']['seed']) == 3
    assert torch.equal(ck['state_dict']['w'], torch.arange(4.0))
    buf = ck['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.mean() == pytest.approx(7.0 / 3) and buf.current() == 4.0 and buf.max() == 4.0
    assert ck['message_hub']['runtime_info']['arr'].tolist() == [0.0, 1.0, 2.0]


def test_pickled_code_is_refused_and_not_run(tmp_path):
    marker = tmp_path / 'pwned'
    f = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'x': _Evil(str(marker))}, f)
    with pytest.raises(UnsafeCheckpointError) as e:
        safe_torch_load(str(f))
    assert 'evil.pth' in str(e.value) and 'open' in str(e.value) and UNSAFE_ENV in str(e.value)
    assert not marker.exists()


@pytest.mark.parametrize('target', [(HistoryBuffer, '__init__'), (np.ndarray, 'tofile'), (HistoryBuffer, 'nope')])
def test_getattr_is_limited_to_history_buffer_methods(tmp_path, target):
    # HistoryBuffer's own table pickles getattr(HistoryBuffer, 'mean'); any other getattr is refused.
    class _Getattr:
        def __reduce__(self):
            return (getattr, target)

    f = tmp_path / 'getattr.pth'
    torch.save({'x': _Getattr()}, f)
    with pytest.raises(pickle.UnpicklingError):
        safe_torch_load(str(f))


def test_opt_in_for_trusted_files(tmp_path, monkeypatch):
    f = tmp_path / 'legacy.pth'
    # Official research repos often pickle their argparse options next to the weights.
    torch.save({'args': argparse.Namespace(lr=0.1), 'state_dict': {'w': torch.ones(2)}}, f)
    with pytest.raises(UnsafeCheckpointError, match='argparse.Namespace'):
        safe_torch_load(str(f))
    monkeypatch.setenv(UNSAFE_ENV, '1')
    assert safe_torch_load(str(f))['args'].lr == 0.1


def test_missing_file_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        safe_torch_load(str(tmp_path / 'nope.pth'))


def test_mmengine_loader_uses_the_safe_path(tmp_path):
    register_safe_checkpoint_loader()
    f = tmp_path / 'ckpt.pth'
    torch.save(_runner_like_checkpoint(), f)
    ck = CheckpointLoader.load_checkpoint(str(f), map_location='cpu')
    assert isinstance(ck['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    evil = tmp_path / 'evil.pth'
    torch.save({'x': _Evil(str(tmp_path / 'pwned'))}, evil)
    with pytest.raises(UnsafeCheckpointError):
        CheckpointLoader.load_checkpoint(str(evil), map_location='cpu')
    assert not (tmp_path / 'pwned').exists()
