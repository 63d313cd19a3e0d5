"""``wsl bench r2d2ctx-speed``: extraction speed and peak memory at 1024 px (multi-scale), and training-step time,
R2D2 vs the context-aggregated model (R2D2+LG+MA with HRNet-W48), with their ratios from the same run.

Extraction: one 1024 x 768 photograph (scikit-image's ``coffee``, resized), the official multi-scale recipe
(2^0.25 pyramid from 1024 px down to 256 px: 9 levels, 3x3 NMS, thresholds 0.7, top 5000). Training: full steps
(both images of each pair through the network, R2D2 losses — initial and final for the context model — backward,
Adam update) on one fixed batch of synthetic 192 x 192 pairs. Weights are random (speed does not depend on them;
the HRNet branch is frozen, as configured by default). Each measurement runs in a fresh process, so the peak
memory (CPU: growth of the peak resident set; CUDA: peak allocated) belongs to that model and task alone.
"""
import json
import os
import os.path as osp
from typing import Dict

import cv2
import numpy as np
import torch

from wsl.benchmarks import register_benchmark

VARIANTS = {
    'r2d2': dict(type='R2D2'),
    'r2d2ctx': dict(type='R2D2Context', semantic=dict(type='HRNetSemanticBranch', model_name='hrnet_w48')),
}
SETTINGS = dict(quick=dict(width=1024, height=768, extract_iters=1, extract_warmup=0, crop=192, batch=2,
                           train_iters=1, train_warmup=1),
                full=dict(width=1024, height=768, extract_iters=3, extract_warmup=1, crop=192, batch=4,
                          train_iters=5, train_warmup=2))


def _build(model_cfg: dict, seed: int, device: str, threads: int):
    from wsl.registry import MODELS
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    return MODELS.build(model_cfg).to(device)


def measure_extraction(model_cfg: dict, width: int = 1024, height: int = 768, iters: int = 1, warmup: int = 0,
                       seed: int = 0, device: str = 'cpu', threads: int = 0) -> Dict[str, float]:
    """Seconds per image and peak memory (MiB) of multi-scale extraction with the model's ``extract_cfg``."""
    from wsl.utils.profiling import PeakMemory, time_steps
    from .benchmark import skimage_picture
    from .extract import extract_multiscale, normalize_rgb, pyramid_levels
    model = _build(model_cfg, seed, device, threads).eval()
    img = normalize_rgb(cv2.resize(skimage_picture('coffee'), (width, height), interpolation=cv2.INTER_AREA),
                        torch.device(device))
    cfg = dict(model.extract_cfg)
    kept = []

    def step():
        kept.append(len(extract_multiscale(model.maps, img, **cfg)['scores']))

    with PeakMemory(device) as mem:
        sec = time_steps(step, iters=iters, warmup=warmup, device=device)
    keys = ('scale_f', 'min_scale', 'max_scale', 'min_size', 'max_size')
    levels = sum(p for *_, p in pyramid_levels(height, width, **{k: cfg[k] for k in keys}))
    return dict(sec_per_image=sec, images_per_s=1 / sec, peak_mib=mem.mib, levels=levels,
                keypoints=float(np.mean(kept)), params_m=sum(p.numel() for p in model.parameters()) / 1e6)


def measure_training(model_cfg: dict, crop: int = 192, batch: int = 4, iters: int = 1, warmup: int = 1,
                     seed: int = 0, device: str = 'cpu', threads: int = 0) -> Dict[str, float]:
    """Seconds per training step (Adam, lr 1e-3, wd 5e-4) and peak memory (MiB) on one fixed batch of pairs."""
    from mmengine.dataset import pseudo_collate
    from mmengine.optim import OptimWrapper

    from wsl.utils.profiling import PeakMemory, time_steps
    from .benchmark import training_pairs
    model = _build(model_cfg, seed, device, threads).train()
    wrapper = OptimWrapper(torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3,
                                            weight_decay=5e-4))
    data = pseudo_collate(training_pairs(batch, crop, np.random.default_rng(seed)))
    with PeakMemory(device) as mem:
        sec = time_steps(lambda: model.train_step(data, wrapper), iters=iters, warmup=warmup, device=device)
    return dict(sec_per_step=sec, peak_mib=mem.mib,
                trainable_params_m=sum(p.numel() for p in model.parameters() if p.requires_grad) / 1e6)


@register_benchmark('r2d2ctx-speed')
def run(quick: bool = True, seed: int = 0, out: str = 'work_dirs/bench_r2d2ctx_speed') -> dict:
    """Measure both models (module doc); prints a table and returns a flat dict with the ratios."""
    from wsl.utils.profiling import run_isolated
    s = SETTINGS['quick' if quick else 'full']
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    target = 'wsl.localization.r2d2.speed_benchmark'
    res: Dict[str, object] = dict(quick=quick, seed=seed, device=device, width=s['width'], height=s['height'],
                                  train_crop=s['crop'], train_batch=s['batch'], extract_iters=s['extract_iters'],
                                  train_iters=s['train_iters'], threads=torch.get_num_threads())
    rows = {}
    for name, cfg in VARIANTS.items():
        ext = run_isolated(f'{target}:measure_extraction', model_cfg=cfg, width=s['width'], height=s['height'],
                           iters=s['extract_iters'], warmup=s['extract_warmup'], seed=seed, device=device)
        print(f'{name} extraction: {ext}', flush=True)
        tr = run_isolated(f'{target}:measure_training', model_cfg=cfg, crop=s['crop'], batch=s['batch'],
                          iters=s['train_iters'], warmup=s['train_warmup'], seed=seed, device=device)
        print(f'{name} training: {tr}', flush=True)
        rows[name] = dict(ext, **{f'train_{k}': v for k, v in tr.items()})
        res.update({f'{name}_extract_{k}': round(float(v), 4) for k, v in ext.items()})
        res.update({f'{name}_train_{k}': round(float(v), 4) for k, v in tr.items()})
    a, b = rows['r2d2'], rows['r2d2ctx']
    res['extract_time_ratio_ctx_vs_r2d2'] = round(b['sec_per_image'] / a['sec_per_image'], 3)
    res['extract_memory_ratio_ctx_vs_r2d2'] = round(b['peak_mib'] / max(a['peak_mib'], 1e-6), 3)
    res['train_step_ratio_ctx_vs_r2d2'] = round(b['train_sec_per_step'] / a['train_sec_per_step'], 3)
    res['train_memory_ratio_ctx_vs_r2d2'] = round(b['train_peak_mib'] / max(a['train_peak_mib'], 1e-6), 3)
    print(f'\n| model | params (M) | extract s/img @{s["width"]}x{s["height"]} ({a["levels"]} levels) | img/s | '
          f'extract peak MiB | train s/step (b{s["batch"]}, {s["crop"]}px) | train peak MiB |')
    print('|---|---|---|---|---|---|---|')
    for name, r in rows.items():
        print(f'| {name} | {r["params_m"]:.2f} | {r["sec_per_image"]:.2f} | {r["images_per_s"]:.3f} | '
              f'{r["peak_mib"]:.0f} | {r["train_sec_per_step"]:.2f} | {r["train_peak_mib"]:.0f} |')
    print(f'context / R2D2: extraction time x{res["extract_time_ratio_ctx_vs_r2d2"]}, memory '
          f'x{res["extract_memory_ratio_ctx_vs_r2d2"]}; training step x{res["train_step_ratio_ctx_vs_r2d2"]}, '
          f'memory x{res["train_memory_ratio_ctx_vs_r2d2"]} ({device})')
    os.makedirs(out, exist_ok=True)
    with open(osp.join(out, 'result.json'), 'w') as f:
        json.dump(res, f, indent=1)
    return res
