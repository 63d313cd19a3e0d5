"""Python API: build a model from a config (and checkpoint) and run it on inputs."""
import copy
import os.path as osp
from typing import Any, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

from wsl.registry import MODELS


def init_model(config: Union[str, Config], checkpoint: Optional[str] = None, device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build a model from a config, load a checkpoint (safely) and put it in eval mode.

    Args:
        config: config file path or :class:`Config`.
        checkpoint: checkpoint path; ``None`` keeps the config's initialisation.
        device: e.g. ``'cpu'`` or ``'cuda:0'``.
        cfg_options: overrides merged into the config.

    Returns:
        The model, with ``model.cfg`` (the config) and ``model.dataset_meta`` (classes from the checkpoint or config).
    """
    from wsl.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    if isinstance(config, str):
        if not osp.isfile(config):
            raise FileNotFoundError(f"config '{config}' not found.")
        config = Config.fromfile(config)
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a path or a Config, got {type(config).__name__}')
    cfg = copy.deepcopy(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    scope = cfg.get('default_scope', 'wsl')
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(cfg.model)
    model.cfg = cfg
    meta = {}
    if checkpoint is not None:
        ckpt = load_checkpoint(model, checkpoint, map_location='cpu')
        meta = ckpt.get('meta', {}).get('dataset_meta', {}) if isinstance(ckpt, dict) else {}
    if not meta:
        ds = cfg.get('test_dataloader', {}).get('dataset', {})
        meta = dict(ds.get('metainfo', {}))
    model.dataset_meta = meta
    model.to(device)
    model.eval()
    return model


def _test_pipeline(cfg: Config, from_array: bool) -> Compose:
    pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    # Inference has no annotations to load.
    pipeline = [t for t in pipeline if not str(t.get('type', '')).endswith('LoadAnnotations')]
    if from_array:
        if 'LoadImage' not in str(pipeline[0].get('type', '')):
            raise ValueError('inference on arrays needs a test pipeline that starts with an image loader; got '
                             f"{pipeline[0].get('type')}")
        pipeline[0] = dict(type='mmdet.LoadImageFromNDArray')
    return Compose(pipeline)


def prepare_batch(model: torch.nn.Module, inputs: Union[str, np.ndarray, Sequence[Union[str, np.ndarray]]]) -> dict:
    """Run image paths or arrays (H, W, 3) BGR uint8 through the config's test pipeline into one batch.

    Returns:
        dict: ``inputs`` (list of (3, H, W) uint8 tensors) and ``data_samples`` (list), ready for
        ``model.test_step`` or ``model.data_preprocessor``.
    """
    items: List = [inputs] if isinstance(inputs, (str, np.ndarray)) else list(inputs)
    for x in items:
        if isinstance(x, str) and not osp.isfile(x):
            raise FileNotFoundError(f"image '{x}' not found.")
    cfg = model.cfg
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'wsl')):
        pipeline = _test_pipeline(cfg, from_array=bool(items) and isinstance(items[0], np.ndarray))
        datas = [pipeline(dict(img=x, img_id=0) if isinstance(x, np.ndarray) else dict(img_path=x, img_id=0))
                 for x in items]
    return dict(inputs=[d['inputs'] for d in datas], data_samples=[d['data_samples'] for d in datas])


def inference(model: torch.nn.Module, inputs: Union[str, np.ndarray, Sequence[Union[str, np.ndarray]]]) -> Any:
    """Run an image model on image paths or arrays (H, W, 3) BGR uint8 through the config's test pipeline.

    Returns:
        One data sample (with ``pred_instances`` etc.) for a single input, else a list of them.
    """
    single = isinstance(inputs, (str, np.ndarray))
    items: List = [inputs] if single else list(inputs)
    if not items:
        return []
    results = []
    for x in items:
        batch = prepare_batch(model, x)
        with torch.no_grad():
            results.append(model.test_step(batch)[0])
    return results[0] if single else results
