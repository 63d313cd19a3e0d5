"""``wsl bench d2net``: D2-Net's loss ablation (Tables 3-4) on the synthetic W-TALC set, 3 seeds.

Each row is a shipped config (``configs/d2net/*_synthetic-wtalc.py``) trained through MMEngine's Runner for its
400-iteration schedule and tested on the last checkpoint; the test predictions are written in the ActivityNet
JSON format by the metric (``outfile_prefix``) and evaluated from those files with both protocols: ``legacy``
(snippet units, first-fit matching: the official D2-Net evaluator) and ``activitynet`` (seconds, best-tIoU
matching), mAP@0.5 and the mean over IoU 0.1:0.5, plus the detection F1 at IoU 0.5 (legacy matching; Table 3
reports F1). The synthetic look-alike segments are not filtered (see the dataset config). Seed s trains with seed
s on data written with seed 1000 + s (data seeds 0 and 2000-2003 served to develop the synthetic set, schedule
and inference constants and are not reported). The synthetic configs keep proposals of >= 3 snippets (half the
shortest synthetic instance) scoring >= 0.2 x the top score of their video-class (S_th, chosen on the held-out data
seeds by the cross-entropy baseline's F1); a second test pass with the official THUMOS constants (>= 2 snippets,
S_th 0.1) is reported too (keys ``*_code``).
``--quick`` runs the cross-entropy baseline and D2-Net; the full run adds focal, L_Dis alone, and L1 and BCE
denoising.
"""
import json
import os.path as osp
import resource
import time
from typing import Dict, List, Optional

import numpy as np

from wsl.benchmarks import register_benchmark

ROWS = (  # name, config, paper Table
    ('CE', 'd2net/d2net-ce_tcn_1xb10-400it_synthetic-wtalc.py', 'T3 L_CE'),
    ('focal', 'd2net/d2net-focal_tcn_1xb10-400it_synthetic-wtalc.py', 'T3 L_F'),
    ('L_Dis', 'd2net/d2net-dis-only_tcn_1xb10-400it_synthetic-wtalc.py', 'T3 L_Dis'),
    ('L_Dis+L1', 'd2net/d2net-l1-denoise_tcn_1xb10-400it_synthetic-wtalc.py', 'T4 L1'),
    ('L_Dis+BCE', 'd2net/d2net-bce-denoise_tcn_1xb10-400it_synthetic-wtalc.py', 'T4 BCE'),
    ('D2-Net', 'd2net/d2net_tcn_1xb10-400it_synthetic-wtalc.py', 'T3/T4 L_Dis + L_D (pDMI)'),
)
QUICK_ROWS = ('CE', 'D2-Net')
BASELINE, METHOD = 'CE', 'D2-Net'
DATA_SEED_OFFSET = 1000
METRICS = ('legacy@0.5', 'legacy_avg', 'anet@0.5', 'anet_avg', 'F1@0.5')
CODE_INFERENCE = dict(min_len=2, score_ratio=0.1)  # official THUMOS code: runs >= 2 snippets, S_th = 10% of the top


def synthetic_data(root: str, seed: int) -> str:
    """Write the benchmark's synthetic set with data seed ``DATA_SEED_OFFSET + seed`` (again when ``root`` holds
    a set written with other generator arguments or version); returns its root."""
    from wsl.datasets.synthetic.wtalc import D2NET_SYNTHETIC, GENERATOR_VERSION, make_wtalc_synthetic
    spec = dict(D2NET_SYNTHETIC, seed=DATA_SEED_OFFSET + seed, generator_version=GENERATOR_VERSION)
    marker = osp.join(root, 'generator.json')
    feature_file = osp.join(root, f"{D2NET_SYNTHETIC['name']}-I3D-JOINTFeatures.npy")
    if osp.isfile(feature_file) and osp.isfile(marker):
        with open(marker) as f:
            if json.load(f) == spec:
                return root
    make_wtalc_synthetic(root, seed=DATA_SEED_OFFSET + seed, **D2NET_SYNTHETIC)
    with open(marker, 'w') as f:
        json.dump(spec, f)
    return root


def evaluate_files(prefix: str) -> Dict[str, float]:
    """Both protocols and F1 from the ActivityNet-format files the metric wrote under ``prefix``."""
    from wsl.temporal.metrics import (IOU_SETS, detection_f1, evaluate_detection, load_activitynet_gt,
                                      load_activitynet_results, load_ambiguous, summarize)
    gt, classes = load_activitynet_gt(f'{prefix}.gt.json')
    preds = load_activitynet_results(f'{prefix}.results.json')
    amb_file = f'{prefix}.ambiguous.json'
    amb = load_ambiguous(amb_file) if osp.isfile(amb_file) else None
    ious = IOU_SETS['0.1:0.5']
    leg = summarize(evaluate_detection(gt, preds, ious, 'legacy', amb, classes))
    anet = summarize(evaluate_detection(gt, preds, ious, 'activitynet', None, classes))
    f1 = detection_f1(gt, preds, 0.5, 'legacy', amb)
    return {'legacy@0.5': leg['mAP@0.50'], 'legacy_avg': leg['avg'], 'anet@0.5': anet['mAP@0.50'],
            'anet_avg': anet['avg'], 'F1@0.5': 100 * f1['f1'], 'FP@0.5': float(f1['fp']),
            'recall@0.5': 100 * f1['recall']}


def train_and_test(config: str, data_root: str, work_dir: str, seed: int, keep_runner: bool = False,
                   max_iters: Optional[int] = None) -> dict:
    """Train one synthetic config in-process (Runner), test the last checkpoint, evaluate its JSON output.

    ``max_iters`` shortens the config's schedule (speed benchmark only; the ablation uses the config's).

    Returns:
        dict: the metrics of :func:`evaluate_files`, ``sec_per_iter``, ``test_seconds`` (inference +
        post-processing + evaluation of the test split), ``iters`` and, with ``keep_runner``, ``runner``.
    """
    from mmengine.config import Config
    from mmengine.runner import Runner

    from wsl.utils import find_config, register_all_modules
    register_all_modules()
    cfg = Config.fromfile(find_config(config))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = data_root
    prefix = osp.join(work_dir, 'test_predictions')
    cfg.test_evaluator.outfile_prefix = prefix
    if max_iters is not None:
        cfg.train_cfg.max_iters = max_iters
        cfg.default_hooks.checkpoint.interval = max_iters
    cfg.train_cfg.val_interval = cfg.train_cfg.max_iters + 1  # no validation pass; the test below is the report
    cfg.work_dir, cfg.log_level = work_dir, 'WARNING'
    cfg.default_hooks.logger.interval = cfg.train_cfg.max_iters
    cfg.randomness = dict(seed=seed, deterministic=False)
    runner = Runner.from_cfg(cfg)
    t0 = time.perf_counter()
    runner.train()
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    runner.test()
    test_s = time.perf_counter() - t0
    out = evaluate_files(prefix)
    test_cfg = runner.model.test_cfg
    if any(test_cfg.get(k, v) != v for k, v in CODE_INFERENCE.items()):  # the official constants, for the record
        kept = {k: test_cfg.get(k) for k in CODE_INFERENCE}
        test_cfg.update(CODE_INFERENCE)
        metric = runner.test_loop.evaluator.metrics[0]
        metric.outfile_prefix = prefix + '_code'
        runner.test()
        test_cfg.update(kept)
        metric.outfile_prefix = prefix
        code = evaluate_files(prefix + '_code')
    else:
        code = out
    out.update({f'{m}_code': code[m] for m in ('legacy@0.5', 'legacy_avg', 'F1@0.5', 'FP@0.5')})
    out.update(sec_per_iter=train_s / cfg.train_cfg.max_iters, test_seconds=test_s, iters=cfg.train_cfg.max_iters)
    if keep_runner:
        out['runner'] = runner
    return out


def _fmt(values: List[float]) -> str:
    return f'{np.mean(values):5.1f} ± {np.std(values):4.1f}'


def summarize_runs(runs: Dict[str, List[dict]], seeds: List[int]) -> dict:
    """Print the tables (mean ± std, then every seed) and return the flat dict: per row and metric mean/std and
    per-seed values, and whether D2-Net beats the baseline on every seed per metric."""
    rows = [r for r in ROWS if r[0] in runs]
    extra = ('FP@0.5', 'recall@0.5', 'F1@0.5_code', 'FP@0.5_code', 'legacy@0.5_code', 'legacy_avg_code')
    print(f'\nD2-Net ablation on synthetic W-TALC (seeds {seeds}), mean ± std over seeds')
    head = f"{'row':<10} | {'legacy@0.5':>12} | {'legacy 0.1:0.5':>14} | {'anet@0.5':>12} | {'anet 0.1:0.5':>12} | " \
           f"{'F1@0.5':>12} | {'FP':>6} | {'F1 code inf.':>12} | {'FP':>6} | paper"
    print(head)
    print('-' * len(head))
    flat = {}
    for name, _, paper in rows:
        res = runs[name]
        cells = [_fmt([r[m] for r in res]) for m in METRICS + ('F1@0.5_code', )]
        fp, fp_code = (np.mean([r[k] for r in res]) for k in ('FP@0.5', 'FP@0.5_code'))
        print(f'{name:<10} | {cells[0]:>12} | {cells[1]:>14} | {cells[2]:>12} | {cells[3]:>12} | {cells[4]:>12} | '
              f'{fp:6.1f} | {cells[5]:>12} | {fp_code:6.1f} | {paper}')
        for m in METRICS + extra:
            vals = [r[m] for r in res]
            flat[f'{name}/{m}'] = float(np.mean(vals))
            flat[f'{name}/{m}_std'] = float(np.std(vals))
            for s, v in zip(seeds, vals):
                flat[f'{name}/{m}/seed{s}'] = float(v)
        flat[f'{name}/sec_per_iter'] = float(np.mean([r['sec_per_iter'] for r in res]))
        flat[f'{name}/test_seconds'] = float(np.mean([r['test_seconds'] for r in res]))
    print('\n| row | seed | legacy mAP@0.5 | legacy avg 0.1:0.5 | F1@0.5 | FP | official inference constants: '
          'legacy avg 0.1:0.5 | F1@0.5 | FP |\n|---|---|---|---|---|---|---|---|---|')
    for name, _, _ in rows:
        for s, r in zip(seeds, runs[name]):
            print(f"| {name} | {s} | {r['legacy@0.5']:.2f} | {r['legacy_avg']:.2f} | {r['F1@0.5']:.2f} | "
                  f"{r['FP@0.5']:.0f} | {r['legacy_avg_code']:.2f} | {r['F1@0.5_code']:.2f} | {r['FP@0.5_code']:.0f} |")
    if BASELINE in runs and METHOD in runs:
        for m in METRICS + ('legacy_avg_code', 'F1@0.5_code'):
            wins = [d[m] > b[m] for d, b in zip(runs[METHOD], runs[BASELINE])]
            flat[f'{METHOD}_beats_{BASELINE}/{m}'] = float(all(wins))
            print(f'{METHOD} > {BASELINE} on {m}: {sum(wins)}/{len(wins)} seeds')
    return flat


@register_benchmark('d2net')
def d2net_benchmark(quick: bool = False, seed: int = 0, out: str = 'work_dirs/bench_d2net') -> dict:
    """Train and test the ablation rows on 3 seeds (``seed``, ``seed + 1``, ``seed + 2``); see the module doc."""
    seeds = [seed, seed + 1, seed + 2]
    names = QUICK_ROWS if quick else tuple(r[0] for r in ROWS)
    configs = {r[0]: r[1] for r in ROWS}
    runs: Dict[str, List[dict]] = {n: [] for n in names}
    t0 = time.perf_counter()
    for s in seeds:
        root = synthetic_data(osp.join(out, 'data', f'seed{s}'), s)
        for name in names:
            r = train_and_test(configs[name], root, osp.join(out, 'work', f'seed{s}', name), s)
            runs[name].append(r)
            print(f"seed {s} {name:<10} legacy@0.5 {r['legacy@0.5']:5.1f}  anet@0.5 {r['anet@0.5']:5.1f}  "
                  f"F1 {r['F1@0.5']:5.1f}  ({r['sec_per_iter'] * 1000:.0f} ms/it, test {r['test_seconds']:.1f} s)",
                  flush=True)
    flat = summarize_runs(runs, seeds)
    flat['seeds'] = float(len(seeds))
    flat['wall_seconds'] = time.perf_counter() - t0
    flat['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"wall {flat['wall_seconds']:.0f} s, peak RSS {flat['peak_rss_mb']:.0f} MB")
    return flat


def d2net_section(out_dir: str, quick: bool):
    """``wsl demo`` section: CE vs D2-Net on one seed of the synthetic set, a table and TCAM figures."""
    import torch

    from wsl.demo import DemoSection
    from wsl.visualization.tcam import plot_tcam
    root = synthetic_data(osp.join(out_dir, 'd2net_data'), 0)
    res, figs = {}, []
    for name in (BASELINE, METHOD):
        config = dict((r[0], r[1]) for r in ROWS)[name]
        r = train_and_test(config, root, osp.join(out_dir, 'd2net_work', name), 0, keep_runner=True)
        runner = r.pop('runner')
        res[name] = r
        ds = runner.test_dataloader.dataset
        idx = max(range(len(ds)), key=lambda i: len(ds.get_data_info(i)['gt_segments']))  # most instances
        info = ds.get_data_info(idx)
        model = runner.model.eval()
        with torch.no_grad():
            v = model.predict_video(torch.from_numpy(ds.video_features(idx)))
        rate = model.test_cfg.get('snippet_rate', 25 / 16)
        fig_path = osp.join(out_dir, f"d2net_tcam_{name.lower().replace('-', '')}.png")
        plot_tcam(v['tcam'], ds.metainfo['classes'], v['lambda_prime'],
                  gt=dict(segments=info['gt_segments'], labels=info['gt_labels']),
                  detections=dict(segments=v['segments'] / rate, labels=v['labels'], scores=v['scores']),
                  classes=sorted(set(int(c) for c in info['gt_labels'])),
                  title=f"{name}: {info['video_name']}", out_file=fig_path)
        figs.append(fig_path)
    md = ('Weakly supervised temporal action localization on the synthetic W-TALC set (video labels only for '
          'training; 6 classes, 100 train / 200 test videos, 256-d features): the cross-entropy baseline vs D2-Net '
          '(L_Dis + pDMI), official-code losses and inference, 400 iterations, seed 0.\n\n'
          '| model | mAP@0.5 (legacy) | mAP 0.1:0.5 (legacy) | mAP@0.5 (ActivityNet) | F1@0.5 | FP |\n'
          '|---|---|---|---|---|---|\n')
    for name, r in res.items():
        md += (f"| {name} | {r['legacy@0.5']:.1f} | {r['legacy_avg']:.1f} | {r['anet@0.5']:.1f} | "
               f"{r['F1@0.5']:.1f} | {r['FP@0.5']:.0f} |\n")
    md += ('\nTCAM of the test video with the most instances (blue: T of the class, purple dotted: r = λ\'·T, grey '
           'dashed: bottom-up attention λ\'; green: ground truth; red: detections, height ∝ score):\n\n')
    md += ''.join(f'![{name}]({osp.basename(p)})\n\n' for name, p in zip(res, figs))
    metrics = {f'{n}/{m}': float(r[m]) for n, r in res.items() for m in METRICS}
    return DemoSection('Temporal localization: D2-Net on synthetic W-TALC features', md, figs, metrics)
