"""Build a ready-to-extract R2D2 network from a config and/or a checkpoint."""
from typing import Optional, Tuple

from torch import nn

from wsl.registry import MODELS
from .convert import load_wsl_state


def init_r2d2_net(config_or_checkpoint: str, checkpoint: Optional[str] = None, device: str = 'cpu',
                  trust_checkpoint: bool = False) -> Tuple[nn.Module, dict]:
    """Build the network for extraction, in eval mode on ``device``.

    Args:
        config_or_checkpoint (str): a config file (``.py``; its ``model`` is built from MODELS and
            its optional ``extract_cfg`` dict is returned) or a checkpoint, official
            (``r2d2_WASF_N16.pt``) or converted by ``tools/model_converters/r2d2_to_wsl.py``.
        checkpoint (str, optional): weights for a config (strict loading), e.g. a Runner checkpoint.
        trust_checkpoint (bool): allow unrestricted unpickling, needed for Runner checkpoints.

    Returns:
        tuple: ``(net, extract_cfg)``.
    """
    extract_cfg = {}
    if config_or_checkpoint.endswith('.py'):
        from mmengine.config import Config
        cfg = Config.fromfile(config_or_checkpoint)
        if 'model' not in cfg:
            raise ValueError(f'{config_or_checkpoint}: no "model" field')
        net = MODELS.build(cfg.model)
        extract_cfg = dict(cfg.get('extract_cfg', {}) or {})
        if checkpoint is not None:
            state, _ = load_wsl_state(checkpoint, trust_checkpoint)
            net.load_state_dict(state, strict=True)
    else:
        if checkpoint is not None:
            raise ValueError('give either CONFIG CHECKPOINT or a single CHECKPOINT, not two checkpoints')
        state, meta = load_wsl_state(config_or_checkpoint, trust_checkpoint)
        model_cfg = meta.get('model')
        if model_cfg is None:
            if 'trunk.layers.0.conv.weight' not in state:
                raise ValueError(f'{config_or_checkpoint}: neither an official nor a converted R2D2 checkpoint')
            model_cfg = dict(type='R2D2Net', mchan=state['trunk.layers.0.conv.weight'].shape[0] // 8,
                             dim=state['head.clf.weight'].shape[1])
        net = MODELS.build(dict(model_cfg))
        net.load_state_dict(state, strict=True)
    return net.to(device).eval(), extract_cfg
