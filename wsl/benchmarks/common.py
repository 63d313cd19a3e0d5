"""Pieces every synthetic benchmark needs: data on disk, a config trained in-process, its metrics."""
import os.path as osp
import time
from typing import Dict, Optional, Sequence, Tuple

from mmengine.config import Config

from wsl.utils import find_config, register_all_modules


def shapes_data(root: str, seed: int = 0, num_train: int = 200, num_test: int = 100,
                domains: Sequence[str] = ('source', 'target')) -> str:
    """Generate (once) the shapes dataset's ``domains`` under ``root`` and return ``root``.

    Domains already there with the same parameters are kept, so benchmarks asking for different domains
    can share one ``root`` (one at a time).
    """
    from wsl.datasets.synthetic.shapes import make_shapes_dataset
    make_shapes_dataset(root, num_train=num_train, num_test=num_test, seed=seed, domains=domains)
    return root


def scale_iter_schedule(cfg: Config, max_iters: int) -> Config:
    """Shorten/lengthen an iteration-based schedule: loop length, val interval and LR milestones scale together."""
    old = cfg.train_cfg.max_iters
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = max_iters
    for sch in cfg.param_scheduler:
        if sch.get('type') == 'MultiStepLR':
            sch.milestones = [max(1, int(round(m * max_iters / old))) for m in sch.milestones]
        if sch.get('end') == old:
            sch.end = max_iters
        elif sch.get('end', 0) > max_iters:
            sch.end = max(1, max_iters // 10)
    ckpt = cfg.default_hooks.checkpoint
    ckpt.interval = min(ckpt.interval, max_iters)
    return cfg


def set_domain_roots(cfg: Config, data_root: str, train: str = 'source', val: str = 'source',
                     test: str = 'target') -> Config:
    """Point the train/val/test datasets of a shapes config at ``data_root/<domain>/``."""
    for key, dom in (('train_dataloader', train), ('val_dataloader', val), ('test_dataloader', test)):
        cfg[key].dataset.data_root = osp.join(data_root, dom) + '/'
    return cfg


def train_and_test(config: str, work_dir: str, data_root: str, max_iters: int, seed: int = 0,
                   quiet: bool = True, cfg_options: Optional[dict] = None) -> Tuple[Dict[str, float], dict]:
    """Train a shapes config in this process, then validate (source-test) and test (target-test).

    Returns:
        (metrics, info): metrics with ``val/...`` and ``test/...`` keys; info with ``checkpoint``, ``config``
        (the merged config file written to the work dir), ``train_seconds``, ``sec_per_iter``.
    """
    from wsl.engine import ProgressBarHook, RecordMetricsHook, build_runner

    register_all_modules()
    cfg = Config.fromfile(find_config(config))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    scale_iter_schedule(cfg, max_iters)
    set_domain_roots(cfg, data_root)
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.launcher = 'none'
    if quiet:
        cfg.log_level = 'WARNING'
        cfg.default_hooks.logger.interval = max(1, max_iters // 10)
    record = RecordMetricsHook()
    hooks = [record] + ([ProgressBarHook(desc=osp.basename(work_dir))] if quiet else [])
    runner = build_runner(cfg, extra_hooks=hooks)
    t0 = time.perf_counter()
    runner.train()
    train_s = time.perf_counter() - t0
    test_metrics = runner.test()
    metrics = {f'val/{k}': float(v) for k, v in record.last_val.items()}
    metrics.update({f'test/{k}': float(v) for k, v in (test_metrics or {}).items()})
    cfg_file = osp.join(work_dir, 'config.py')
    runner.cfg.dump(cfg_file)
    info = dict(checkpoint=osp.join(work_dir, f'iter_{max_iters}.pth'), config=cfg_file, train_seconds=train_s,
                sec_per_iter=train_s / max_iters)
    return metrics, info


def voc_detections(model, voc_root: str, img_ids: Sequence[str]) -> Tuple[list, list, list]:
    """Run ``model`` on images of a VOC-layout folder; return (RGB images, ground truths, predictions) in the format
    of :func:`wsl.visualization.draw_detection_grid`."""
    import mmcv

    from wsl.apis import inference
    from wsl.datasets.synthetic.shapes import load_voc_instances
    images, gts, preds = [], [], []
    for img_id in img_ids:
        path = osp.join(voc_root, 'JPEGImages', f'{img_id}.jpg')
        pred = inference(model, path).pred_instances
        gt = load_voc_instances(voc_root, img_id)
        images.append(mmcv.imread(path, channel_order='rgb'))
        gts.append(dict(bboxes=gt['boxes'], labels=gt['labels']))
        preds.append(dict(bboxes=pred.bboxes.numpy(), labels=pred.labels.numpy(), scores=pred.scores.numpy()))
    return images, gts, preds
