"""Convert and load the official R2D2 checkpoints (naver/r2d2 ``models/*.pt``).

An official checkpoint is a pickled dict ``{'net': 'Quad_L2Net_ConfCFS()', 'state_dict': {...}}``;
the state dict keys are ``module.ops.<i>.*`` (a flat list of conv / BN / ReLU modules) plus
``module.clf.*`` and ``module.sal.*``. It holds only strings and tensors, so it loads with
``torch.load(weights_only=True)``; the ``net`` string is parsed with :mod:`ast`, never evaluated.
"""
import ast
import os.path as osp
from typing import Dict, Optional, Tuple

import torch
from torch import Tensor, nn

from wsl.utils.checkpoint import safe_torch_load

from .net import r2d2_layer_specs

OFFICIAL_NET_NAMES = ('Quad_L2Net_ConfCFS', )
_PREFIX = 'module.'


def official_key_map(mchan: int = 4, dim: int = 128) -> Dict[str, str]:
    """Map every official key (without ``module.``) to its :class:`~.net.R2D2Net` key.

    The official ``ops`` list holds, per layer, the conv, then the BN (if any), then the ReLU (if
    any; it has no tensors but takes an index). For the default model: convs at 0, 3, ..., 15, 18,
    20, 22 and BNs one index after each conv but the last.
    """
    keys, idx = {}, 0
    for layer, (_, _, _, _, bn, relu) in enumerate(r2d2_layer_specs(mchan, dim)):
        for name in ('weight', 'bias'):
            keys[f'ops.{idx}.{name}'] = f'trunk.layers.{layer}.conv.{name}'
        idx += 1
        if bn:
            for name in ('running_mean', 'running_var', 'num_batches_tracked'):
                keys[f'ops.{idx}.{name}'] = f'trunk.layers.{layer}.bn.{name}'
            idx += 1
        idx += int(relu)
    for head in ('clf', 'sal'):
        for name in ('weight', 'bias'):
            keys[f'{head}.{name}'] = f'head.{head}.{name}'
    return keys


def parse_official_net(net: str, source: str = '<checkpoint>') -> Dict[str, int]:
    """Parse the ``net`` string (e.g. ``'Quad_L2Net_ConfCFS(mchan=6)'``) into ``R2D2Net`` kwargs."""
    try:
        call = ast.parse(net.strip(), mode='eval').body
    except SyntaxError as e:
        raise ValueError(f'{source}: field "net" is not a constructor call: {net!r}') from e
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and not call.args):
        raise ValueError(f'{source}: field "net" must look like Quad_L2Net_ConfCFS(key=value, ...), got {net!r}')
    if call.func.id not in OFFICIAL_NET_NAMES:
        raise ValueError(f'{source}: network {call.func.id!r} is not supported; expected one of {OFFICIAL_NET_NAMES}')
    kwargs = {}
    for kw in call.keywords:
        if kw.arg not in ('mchan', 'dim') or not isinstance(kw.value, ast.Constant):
            raise ValueError(f'{source}: unsupported argument {ast.unparse(kw)!r} in "net" {net!r}')
        kwargs[kw.arg] = int(kw.value.value)
    return kwargs


def split_official_checkpoint(ckpt: object, source: str = '<checkpoint>') -> Tuple[Dict[str, int], Dict[str, Tensor]]:
    """``(net_kwargs, state_dict without "module.")`` from an already loaded official checkpoint."""
    if not isinstance(ckpt, dict) or 'state_dict' not in ckpt:
        got = sorted(ckpt) if isinstance(ckpt, dict) else type(ckpt).__name__
        raise ValueError(f'{source}: expected an official R2D2 checkpoint, a dict with "net" and "state_dict"; '
                         f'got {got}')
    net_kwargs = parse_official_net(ckpt['net'], source) if isinstance(ckpt.get('net'), str) else {}
    state = {(k[len(_PREFIX):] if k.startswith(_PREFIX) else k): v for k, v in ckpt['state_dict'].items()}
    return net_kwargs, state


def is_official_state_dict(state: Dict[str, Tensor]) -> bool:
    """Whether ``state`` uses the official ``(module.)ops.<i>`` key layout."""
    return any(k.startswith(('module.ops.', 'ops.')) for k in state)


def load_official_checkpoint(path: str) -> Tuple[Dict[str, int], Dict[str, Tensor]]:
    """Load an official checkpoint safely (``weights_only=True``: tensors, strings and dicts only).

    Returns:
        tuple: ``(net_kwargs, state_dict)`` with the ``module.`` prefix stripped.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'R2D2 checkpoint not found: {path}')
    return split_official_checkpoint(torch.load(path, map_location='cpu', weights_only=True), path)


def infer_official_size(state: Dict[str, Tensor], source: str = '<state_dict>',
                        net_kwargs: Optional[Dict[str, int]] = None) -> Dict[str, int]:
    """``mchan`` and ``dim`` from the tensor shapes of an official state dict (no prefix).

    Raises:
        ValueError: if they contradict ``net_kwargs`` (parsed from the checkpoint's ``net`` string).
    """
    try:
        first, last = state['ops.0.weight'], state['clf.weight']
    except KeyError as e:
        raise ValueError(f'{source}: missing official key {e.args[0]!r}; is this an R2D2 checkpoint?') from None
    if first.shape[0] % 8:
        raise ValueError(f'{source}: ops.0.weight has {first.shape[0]} output channels, expected a multiple of 8')
    size = dict(mchan=first.shape[0] // 8, dim=last.shape[1])
    for k, v in (net_kwargs or {}).items():
        if size[k] != v:
            raise ValueError(f'{source}: "net" says {k}={v} but the tensors have {k}={size[k]}')
    return size


def convert_official_state_dict(state: Dict[str, Tensor], source: str = '<state_dict>') -> Dict[str, Tensor]:
    """Rename an official state dict (``module.`` prefix optional) to :class:`~.net.R2D2Net` keys.

    Raises:
        ValueError: on any unknown or missing key (every tensor must map one-to-one).
    """
    state = {(k[len(_PREFIX):] if k.startswith(_PREFIX) else k): v for k, v in state.items()}
    kmap = official_key_map(**infer_official_size(state, source))
    unknown = sorted(set(state) - set(kmap))
    missing = sorted(set(kmap) - set(state))
    if unknown or missing:
        raise ValueError(f'{source}: official R2D2 keys do not match Quad_L2Net_ConfCFS; '
                         f'unknown: {unknown[:5]}, missing: {missing[:5]}')
    return {kmap[k]: v.clone() for k, v in state.items()}


def convert_r2d2_checkpoint(src: str, dst: str) -> Dict[str, object]:
    """Convert the official checkpoint ``src`` and save ``dict(state_dict=..., meta=...)`` to ``dst``.

    The result loads with ``torch.load(weights_only=True)``, MMEngine's ``load_checkpoint`` and
    :func:`load_r2d2_weights`. ``meta['model']`` is the matching ``R2D2Net`` config.

    Returns:
        dict: the saved checkpoint.
    """
    net_kwargs, state = load_official_checkpoint(src)
    size = infer_official_size(state, src, net_kwargs)
    sal_out = state['sal.weight'].shape[0] if 'sal.weight' in state else None
    if sal_out != 1:
        raise ValueError(f'{src}: sal.weight should have 1 output channel (softplus repeatability), got {sal_out}')
    ckpt = dict(state_dict=convert_official_state_dict(state, src),
                meta=dict(source=osp.basename(src),
                          model=dict(type='R2D2Net', rep_activation='softplus', **size)))
    torch.save(ckpt, dst)
    return ckpt


def load_wsl_state(path: str, trust_checkpoint: bool = False) -> Tuple[Dict[str, Tensor], dict]:
    """Load an official or a converted checkpoint as ``(state_dict in R2D2Net keys, meta)``.

    Loading is safe (:func:`wsl.utils.safe_torch_load`: ``weights_only=True`` plus the allow-list of what
    MMEngine Runner checkpoints hold). Other pickled objects load only with ``trust_checkpoint=True``
    (unrestricted unpickling: use it only for files you trust). ``meta['model']`` is the matching model config
    when the checkpoint tells it.
    """
    ckpt = safe_torch_load(path, allow_unsafe=trust_checkpoint)
    if not isinstance(ckpt, dict):
        raise ValueError(f'{path}: expected a dict checkpoint, got {type(ckpt).__name__}')
    state = ckpt.get('state_dict', ckpt)
    if is_official_state_dict(state):
        # a whole official checkpoint, or a bare official state dict
        net_kwargs, official = split_official_checkpoint(ckpt if 'state_dict' in ckpt else dict(state_dict=ckpt), path)
        size = infer_official_size(official, path, net_kwargs)
        return convert_official_state_dict(official, path), dict(model=dict(type='R2D2Net', **size))
    meta = ckpt.get('meta', None)
    return state, dict(meta) if isinstance(meta, dict) else {}


def load_r2d2_weights(model: nn.Module, path: str) -> nn.Module:
    """Load an official or a converted checkpoint into ``model`` (an ``R2D2Net``), strictly."""
    model.load_state_dict(load_wsl_state(path)[0], strict=True)
    return model
