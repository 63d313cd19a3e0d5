"""What ``tools/train.py`` and ``tools/test.py`` do besides parsing arguments.

Both tools build MMEngine's Runner from a config; this module merges the command-line options into the config,
checks the files it names before anything is built, and sets up distributed runs on machines without CUDA
(gloo process group, DDP without ``device_ids``), which MMEngine 0.10.7 cannot do by itself.
"""
import os
import os.path as osp
from typing import Optional, Sequence

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner


def _default_work_dir(cfg: Config, config_path: str) -> str:
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def prepare_train_cfg(cfg: Config, config_path: str, work_dir: Optional[str] = None, amp: bool = False,
                      auto_scale_lr: bool = False, resume: Optional[str] = None, launcher: str = 'none') -> Config:
    """Merge ``tools/train.py`` options into ``cfg`` (in place) and return it.

    Args:
        resume: ``None`` (no resume), ``'auto'`` (latest checkpoint in the work dir) or a checkpoint path.
    """
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = _default_work_dir(cfg, config_path)
    if amp:
        if not torch.cuda.is_available():
            raise RuntimeError('--amp needs a CUDA device (MMEngine\'s AmpOptimWrapper runs on CUDA/NPU/MLU only); '
                               'no CUDA device is visible.')
        if cfg.optim_wrapper.get('type', 'OptimWrapper') not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper or AmpOptimWrapper, the config has '
                             f'{cfg.optim_wrapper.type!r}.')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    if auto_scale_lr:
        asl = cfg.get('auto_scale_lr')
        if not asl or 'base_batch_size' not in asl:
            raise ValueError(f"--auto-scale-lr: config '{config_path}' has no auto_scale_lr.base_batch_size "
                             '(the total batch size its learning rate was tuned for).')
        cfg.auto_scale_lr.enable = True
    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif resume is not None:
        if not osp.isfile(resume):
            raise FileNotFoundError(f"--resume: checkpoint '{resume}' not found.")
        cfg.resume = True
        cfg.load_from = resume
    _check_load_from(cfg)
    _setup_cpu_distributed(cfg)
    return cfg


def prepare_test_cfg(cfg: Config, config_path: str, checkpoint: str, work_dir: Optional[str] = None,
                     launcher: str = 'none') -> Config:
    """Merge ``tools/test.py`` options into ``cfg`` (in place) and return it."""
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f"checkpoint '{checkpoint}' not found.")
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = _default_work_dir(cfg, config_path)
    cfg.load_from = checkpoint
    _setup_cpu_distributed(cfg)
    return cfg


def _check_load_from(cfg: Config) -> None:
    load_from = cfg.get('load_from')
    if load_from and '://' not in str(load_from) and not osp.isfile(load_from):
        raise FileNotFoundError(f"config field load_from: checkpoint '{load_from}' not found.")


def _setup_cpu_distributed(cfg: Config) -> None:
    """For ``--launcher pytorch`` without CUDA: start a gloo group and use DDP without device ids.

    MMEngine's ``init_dist`` always calls ``torch.cuda.set_device``; the Runner skips it when a process group
    already exists, so the group is created here from torchrun's environment (``RANK``, ``WORLD_SIZE``,
    ``MASTER_ADDR``, ``MASTER_PORT``).
    """
    if cfg.launcher == 'none' or torch.cuda.is_available():
        return
    if cfg.launcher != 'pytorch':
        raise RuntimeError(f"--launcher {cfg.launcher} needs CUDA devices; on CPU use --launcher pytorch with "
                           'torchrun (tools/dist_train.sh).')
    missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT') if k not in os.environ]
    if missing:
        raise RuntimeError(f'--launcher pytorch: environment variables {missing} are not set; start the job with '
                           'torchrun (tools/dist_train.sh) or torch.distributed.launch.')
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo', init_method='env://')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def build_runner(cfg: Config, extra_hooks: Sequence = ()) -> Runner:
    """Build the Runner (``RUNNERS.build`` when the config names a ``runner_type``) and register extra hooks."""
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    for hook in extra_hooks:
        runner.register_hook(hook)
    return runner


def add_test_outputs(cfg: Config, out: Optional[str] = None, show_dir: Optional[str] = None,
                     tta: bool = False) -> Config:
    """Apply ``tools/test.py``'s ``--out``, ``--show-dir`` and ``--tta`` to ``cfg`` (in place)."""
    if out is not None:
        if not out.endswith(('.pkl', '.pickle')):
            raise ValueError(f"--out must be a .pkl or .pickle file, got '{out}'.")
        dump = dict(type='DumpResults', out_file_path=out)
        ev = cfg.test_evaluator
        cfg.test_evaluator = [*ev, dump] if isinstance(ev, (list, tuple)) else [ev, dump]
    if show_dir is not None:
        vis = cfg.get('default_hooks', {}).get('visualization')
        if vis is None:
            raise ValueError('--show-dir: the config has no default_hooks.visualization hook to draw with.')
        vis['draw'] = True
        vis['test_out_dir'] = show_dir
    if tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise ValueError('--tta: the config defines no tta_model and tta_pipeline.')
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    return cfg


def metrics_to_json(metrics: Optional[dict]) -> dict:
    """Metrics as JSON-ready values: numbers as floats, anything else as its string."""
    out = {}
    for k, v in (metrics or {}).items():
        try:
            out[k] = float(v)
        except (TypeError, ValueError):
            out[k] = str(v)
    return out
