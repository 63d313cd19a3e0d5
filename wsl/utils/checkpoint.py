"""Safe checkpoint loading for torch >= 2.6 with MMEngine 0.10.7.

MMEngine 0.10.7 calls ``torch.load`` without ``weights_only``; with torch >= 2.6 that means ``weights_only=True``
and MMEngine's own runner checkpoints (they hold ``HistoryBuffer`` objects and numpy values in ``message_hub``)
fail to load, which breaks ``--resume`` and ``tools/test.py``. Turning ``weights_only`` off would let any
checkpoint run arbitrary pickled code. Instead, local files load with ``weights_only=True`` plus an explicit
allow-list of the types MMEngine writes; a file that pickles anything else is refused with an error that names
the offending globals. Set ``WSL_ALLOW_UNSAFE_CHECKPOINT=1`` to load such a file with full pickle, only for a
file you trust.
"""
import os
import pickle
from typing import Any, List, Optional

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

UNSAFE_ENV = 'WSL_ALLOW_UNSAFE_CHECKPOINT'


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint pickles objects outside the allow-list."""


def _numpy_globals() -> List[Any]:
    """The numpy callables and types that pickled arrays, dtypes and scalars reference."""
    out: List[Any] = [np.ndarray, np.dtype]
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar  # type: ignore
    out += [_reconstruct, scalar]
    # dtype classes (numpy >= 1.25 pickles np.dtype(...) through these).
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        out += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')]
    return out


# HistoryBuffer pickles its statistics table as ``getattr(HistoryBuffer, 'mean')`` etc. Rather than allowing the
# builtin ``getattr`` (which could read any attribute of any allowed object), the checkpoint's ``builtins.getattr``
# resolves to this function, which reads only HistoryBuffer's own methods.
def _history_buffer_getattr(obj: Any, name: str) -> Any:
    if obj is HistoryBuffer and not name.startswith('_') and callable(getattr(HistoryBuffer, name, None)):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint')


def allowed_globals() -> List[Any]:
    """Everything besides tensors and plain containers that MMEngine runner checkpoints contain."""
    return [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr'), *_numpy_globals()]


def _global_name(g: Any) -> str:
    return g[1] if isinstance(g, tuple) else f'{g.__module__}.{g.__qualname__}'


def safe_torch_load(filename: str, map_location: Optional[Any] = 'cpu', allow_unsafe: bool = False) -> Any:
    """Load a checkpoint with ``weights_only=True`` and the :func:`allowed_globals` allow-list.

    Args:
        filename (str): path of the checkpoint file.
        map_location: as in :func:`torch.load`. Defaults to ``'cpu'``.
        allow_unsafe (bool): unrestricted unpickling, for a file you trust (as ``WSL_ALLOW_UNSAFE_CHECKPOINT=1``).

    Raises:
        FileNotFoundError: the file does not exist.
        UnsafeCheckpointError: the file pickles objects outside the allow-list (their names are in the message).
    """
    if not os.path.isfile(filename):
        raise FileNotFoundError(f"checkpoint '{filename}' not found.")
    if allow_unsafe or os.environ.get(UNSAFE_ENV, '') == '1':
        return torch.load(filename, map_location=map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(allowed_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        try:
            bad = torch.serialization.get_unsafe_globals_in_checkpoint(filename)
        except Exception:  # noqa: BLE001 - best effort; the original error is reported anyway
            bad = []
        allowed = {_global_name(g) for g in allowed_globals()}
        bad = [b for b in bad if b not in allowed]
        raise UnsafeCheckpointError(
            f"refusing to load checkpoint '{filename}': it pickles objects outside wsl's allow-list "
            f'{bad or "(see below)"}, and unpickling them could run arbitrary code. If you trust this file, set '
            f'{UNSAFE_ENV}=1, or load it yourself and re-save a plain state dict. Original error: {e}') from None


def register_safe_checkpoint_loader() -> None:
    """Make MMEngine load local checkpoints (resume, ``load_from``, tests) through :func:`safe_torch_load`."""

    @CheckpointLoader.register_scheme(prefixes='', force=True)
    def load_from_local(filename: str, map_location: Optional[Any]) -> Any:
        return safe_torch_load(os.path.expanduser(filename), map_location=map_location)
