"""``wsl bench h2fa``: source-only vs H²FA R-CNN vs oracle on the synthetic shapes data.

Every run uses the same detector layout (R-18 DC5, single level; the source-only and oracle runs switch all four
alignments off). Figures: target-test VOC mAP@0.5 and target-TRAIN CorLoc@0.5 (Table B.4's protocol), seconds per
iteration. Full mode: 3 seeds (mean ± std) and the ablation rows A1 and A1+A2; ``--quick``: one short seed.
"""
import os.path as osp
import time
from typing import Dict, List

import numpy as np
from mmengine.config import Config

from wsl.benchmarks import register_benchmark
from wsl.benchmarks.common import scale_iter_schedule, shapes_data
from wsl.utils import find_config, register_all_modules

CONFIGS = {
    'source-only': 'h2fa/source-only_r18-dc5_1xb8-600it_shapes.py',
    'h2fa': 'h2fa/h2fa-rcnn_r18-dc5_1xb8-600it_shapes.py',
    'oracle': 'h2fa/oracle_r18-dc5_1xb8-600it_shapes.py',
    'h2fa-A1': 'h2fa/h2fa-rcnn-a1_r18-dc5_1xb8-600it_shapes.py',
    'h2fa-A1A2': 'h2fa/h2fa-rcnn-a1a2_r18-dc5_1xb8-600it_shapes.py',
}
# The synthetic target domain of the benchmark: the milder shift, where a source-only detector transfers partly
# (on 'target' it scores about 0.02 mAP and a short CPU run cannot show any adaptation).
TARGET_DOMAIN = 'target_mild'
FULL_ITERS, QUICK_ITERS = 600, 150
FULL_SEEDS, QUICK_SEEDS = (0, 1, 2), (0, )


def set_shapes_roots(cfg: Config, root: str, target: str = TARGET_DOMAIN) -> Config:
    """Point every dataset of an H²FA shapes config at ``root/source/`` and ``root/<target>/`` (train; val = test
    = target-test)."""
    ds = cfg.train_dataloader.dataset
    if 'source' in ds:  # DomainPairedDataset
        ds.source.data_root = osp.join(root, 'source') + '/'
        ds.target.data_root = osp.join(root, target) + '/'
    elif 'datasets' in ds:  # oracle: ConcatDataset(source, target)
        for sub, dom in zip(ds.datasets, ('source', target)):
            sub.data_root = osp.join(root, dom) + '/'
    else:
        ds.data_root = osp.join(root, 'source') + '/'
    for key in ('val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = osp.join(root, target) + '/'
    return cfg


def run_one(name: str, root: str, work_dir: str, iters: int, seed: int) -> Dict[str, float]:
    """Train one shapes config in-process; return target-test mAP@0.5, target-train CorLoc and s/iter."""
    from mmengine.runner import TestLoop

    from wsl.engine import ProgressBarHook, build_runner
    register_all_modules()
    cfg = Config.fromfile(find_config(CONFIGS[name]))
    scale_iter_schedule(cfg, iters)
    set_shapes_roots(cfg, root)
    cfg.work_dir, cfg.launcher, cfg.log_level = work_dir, 'none', 'WARNING'
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.default_hooks.logger.interval = max(1, iters // 10)
    cfg.train_cfg.val_interval = iters + 1  # evaluate once, below
    runner = build_runner(cfg, extra_hooks=[ProgressBarHook(desc=f'{name} seed {seed}')])
    t0 = time.perf_counter()
    runner.train()
    sec_per_iter = (time.perf_counter() - t0) / iters
    test = runner.test()
    corloc_loader = dict(cfg.test_dataloader, dataset=dict(cfg.test_dataloader.dataset,
                                                           ann_file='ImageSets/Main/train.txt'))
    corloc = TestLoop(runner, corloc_loader, [dict(type='CorLocMetric', iou_thr=0.5)]).run()
    return dict(target_test_map50=float(test['pascal_voc/mAP']), target_train_corloc=float(corloc['corloc/mCorLoc']),
                sec_per_iter=sec_per_iter)


def _mean_std(values: List[float]) -> str:
    return f'{np.mean(values):.4f} ± {np.std(values):.4f}' if len(values) > 1 else f'{values[0]:.4f}'


@register_benchmark('h2fa')
def h2fa_benchmark(quick: bool = False, seed: int = 0, out: str = 'work_dirs/bench') -> dict:
    """Source-only vs H²FA vs oracle on shapes: target-test mAP@0.5 and target-train CorLoc (mean ± std)."""
    iters = QUICK_ITERS if quick else FULL_ITERS
    seeds = [seed + s for s in (QUICK_SEEDS if quick else FULL_SEEDS)]
    names = ['source-only', 'h2fa', 'oracle'] + ([] if quick else ['h2fa-A1', 'h2fa-A1A2'])
    root = shapes_data(osp.join(out, 'data', 'shapes-200-100'), domains=('source', TARGET_DOMAIN))
    res = {}
    for n in names:
        res[n] = []
        for s in seeds:
            res[n].append(run_one(n, root, osp.join(out, f'h2fa-bench_{n}_seed{s}'), iters, s))
            print(f'{n} seed {s}: {res[n][-1]}', flush=True)
    print(f'\n| run | target-test mAP@0.5 | target-train CorLoc | s/iter |\n|---|---|---|---|')
    for n in names:
        print(f"| {n} | {_mean_std([r['target_test_map50'] for r in res[n]])} | "
              f"{_mean_std([r['target_train_corloc'] for r in res[n]])} | "
              f"{np.mean([r['sec_per_iter'] for r in res[n]]):.2f} |")
    print(f'({iters} iterations, seeds {seeds}, batch 8; H2FA = 4 source + 4 target)')
    summary = dict(iters=iters, seeds=seeds)
    for n in names:
        for key in ('target_test_map50', 'target_train_corloc', 'sec_per_iter'):
            vals = [r[key] for r in res[n]]
            summary[f'{n}/{key}'] = float(np.mean(vals))
            if len(vals) > 1:
                summary[f'{n}/{key}_std'] = float(np.std(vals))
    summary['h2fa_beats_source_only_every_seed'] = all(
        h['target_test_map50'] > s['target_test_map50'] for h, s in zip(res['h2fa'], res['source-only']))
    summary['h2fa_step_time_ratio'] = summary['h2fa/sec_per_iter'] / summary['source-only/sec_per_iter']
    return summary
