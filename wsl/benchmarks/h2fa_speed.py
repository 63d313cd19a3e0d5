"""``wsl bench h2fa-speed``: training-step time and peak memory of H²FA R-CNN vs a source-only Faster R-CNN.

Both models are the same detector (the shapes configs' R-18 DC5 layout); the source-only one has all four
alignments off. Each takes full training steps (forward, losses, backward, SGD update) on one fixed batch of 8
images from its own training loader: H²FA 4 source (boxes) + 4 target (image labels) through
``DomainPairedSampler``, source-only 8 source images. Each measurement runs in a fresh process (peak memory
belongs to that model alone); the step-time ratio compares runs of this one benchmark call.
"""
import os.path as osp
from typing import Dict

import torch

from wsl.benchmarks import register_benchmark
from wsl.benchmarks.common import shapes_data

MODES = {'source-only': 'source-only', 'h2fa': 'h2fa'}


def measure_train_step(name: str, data_root: str, iters: int, warmup: int, device: str, seed: int,
                       threads: int = 0) -> Dict[str, float]:
    """Seconds per training step and peak memory (MiB) of the shapes config ``name`` on one fixed batch."""
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import Runner

    from wsl.benchmarks.h2fa import CONFIGS, set_shapes_roots
    from wsl.registry import MODELS
    from wsl.utils import find_config, register_all_modules
    from wsl.utils.profiling import PeakMemory, time_steps

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    register_all_modules()
    cfg = Config.fromfile(find_config(CONFIGS[name]))
    set_shapes_roots(cfg, data_root)
    loader_cfg = dict(cfg.train_dataloader, num_workers=0, persistent_workers=False)
    batch = next(iter(Runner.build_dataloader(loader_cfg, seed=seed)))
    model = MODELS.build(cfg.model).to(device)
    model.train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    with PeakMemory(device) as mem:
        sec = time_steps(lambda: model.train_step(batch, optim), iters=iters, warmup=warmup, device=device)
    return dict(sec_per_iter=sec, peak_mib=mem.mib, images=len(batch['inputs']),
                params_m=sum(p.numel() for p in model.parameters()) / 1e6)


@register_benchmark('h2fa-speed')
def h2fa_speed_benchmark(quick: bool = False, seed: int = 0, out: str = 'work_dirs/bench') -> dict:
    """H²FA vs source-only training step: seconds per iteration and peak memory, with their ratios."""
    from wsl.benchmarks.h2fa import TARGET_DOMAIN
    from wsl.utils.profiling import run_isolated

    root = shapes_data(osp.join(out, 'data', 'shapes-200-100'), domains=('source', TARGET_DOMAIN))
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    iters, warmup = (5, 2) if quick else (20, 3)
    res = {}
    for name in MODES:
        res[name] = run_isolated('wsl.benchmarks.h2fa_speed:measure_train_step', name=name, data_root=root,
                                 iters=iters, warmup=warmup, device=device, seed=seed)
        print(f'{name}: {res[name]}', flush=True)
    time_ratio = res['h2fa']['sec_per_iter'] / res['source-only']['sec_per_iter']
    mem_ratio = res['h2fa']['peak_mib'] / max(res['source-only']['peak_mib'], 1e-6)
    print('\n| model | batch | s/iter | peak memory (MiB) | params (M) |\n|---|---|---|---|---|')
    for name, batch in (('source-only', '8 source'), ('h2fa', '4 source + 4 target')):
        r = res[name]
        print(f"| {name} | {batch} | {r['sec_per_iter']:.3f} | {r['peak_mib']:.0f} | {r['params_m']:.2f} |")
    print(f'H2FA / source-only: step time x{time_ratio:.2f}, peak memory x{mem_ratio:.2f} '
          f'({device}, {iters} timed steps after {warmup} warm-up, seed {seed})')
    out_d = dict(device=device, iters=iters, warmup=warmup, time_ratio=time_ratio, memory_ratio=mem_ratio)
    for name, r in res.items():
        out_d.update({f'{name}/{k}': float(v) for k, v in r.items()})
    return out_d
