"""``wsl bench r2d2ctx``: synthetic HPatches-style MMA for R2D2 and the context-aggregated ablations.

Held-out real photographs that scikit-image ships (never trained on) are warped by random
homographies with an illumination change; features are extracted multi-scale, matched by mutual
nearest neighbours and scored by MMA@1..10 px (the D2-Net protocol). Compared: the released R2D2
weights (when the file is found), RootSIFT (OpenCV, same keypoint budget) and R2D2, R2D2+LG and
R2D2+LG+MA trained briefly from scratch
with the same seed, data and steps on other scikit-image pictures plus generated textures. The
semantic branch is randomly initialised (no Cityscapes weights offline): not the paper's setting.
Extraction keeps the top-k keypoints by score with both thresholds at 0 for every model (our
benchmark choice: briefly trained maps rarely pass the official 0.7), and the released model is
also scored with the official thresholds. Also reported: training-step time and extraction speed,
context model / R2D2 (same run, same machine).
"""
import json
import os
import os.path as osp
import time
from typing import Callable, Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper
from mmengine.structures import BaseDataElement
from tqdm import tqdm

from wsl.benchmarks import register_benchmark
from wsl.registry import MODELS
from .extract import extract_multiscale, normalize_rgb
from .homography import homography_aflow
from .inference import init_r2d2_net
from .match_figure import matches_figure
from .mma import MMA_THRESHOLDS, mutual_nn_match, pair_accuracy
from .sift import rootsift_features
from .synthetic_pairs import synthetic_pair

HELD_OUT = ('astronaut', 'coffee', 'chelsea', 'rocket', 'stereo_motorcycle')  # evaluation only
TRAIN_PICTURES = ('camera', 'coins', 'immunohistochemistry', 'brick', 'grass', 'gravel', 'moon', 'page', 'clock')
_REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
# the released weights: $WSL_R2D2_WEIGHTS, else shared/weights/ beside the checkout (or the working directory)
WEIGHTS = os.environ.get('WSL_R2D2_WEIGHTS') or next(
    (p for p in (osp.join(_REPO, '..', 'shared', 'weights', 'r2d2_WASF_N16.pt'),
                 osp.join('..', 'shared', 'weights', 'r2d2_WASF_N16.pt')) if osp.isfile(p)), '')


def skimage_picture(name: str) -> np.ndarray:
    """A scikit-image sample picture as (H, W, 3) uint8 RGB."""
    import skimage.data
    img = getattr(skimage.data, name)()
    img = img[0] if isinstance(img, tuple) else img
    return np.repeat(img[..., None], 3, axis=2) if img.ndim == 2 else img[..., :3]


def generated_texture(size: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth colour noise with random rectangles, ellipses and lines: (size, size, 3) uint8."""
    base = cv2.resize((rng.random((8, 8, 3)) * 255).astype(np.uint8), (size, size), interpolation=cv2.INTER_CUBIC)
    for _ in range(int(rng.integers(20, 40))):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        p, q = rng.integers(0, size, 2), rng.integers(0, size, 2)
        kind = rng.integers(3)
        if kind == 0:
            cv2.rectangle(base, tuple(map(int, p)), tuple(map(int, q)), colour, -1)
        elif kind == 1:
            cv2.ellipse(base, tuple(map(int, p)), tuple(int(a) for a in rng.integers(3, size // 6, 2)),
                        float(rng.uniform(0, 180)), 0, 360, colour, -1)
        else:
            cv2.line(base, tuple(map(int, p)), tuple(map(int, q)), colour, int(rng.integers(1, 4)))
    return base


def random_eval_homography(w: int, h: int, rng: np.random.Generator, strength: float = 0.15) -> np.ndarray:
    """A homography moving each image corner by up to ``strength``·size, plus a rotation up to ±15°."""
    src = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    dst = src + rng.uniform(-strength, strength, (4, 2)).astype(np.float32) * np.float32([w, h])
    H = cv2.getPerspectiveTransform(src, dst).astype(np.float64)
    c, a = np.array([(w - 1) / 2, (h - 1) / 2]), np.deg2rad(rng.uniform(-15, 15))
    R = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    T, Ti = np.eye(3), np.eye(3)
    T[:2, 2], Ti[:2, 2] = c, -c
    return T @ R @ Ti @ H


def illumination_change(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Gamma in [0.5, 2], gain in [0.6, 1.4] and a colour cast."""
    x = (img.astype(np.float32) / 255)**rng.uniform(0.5, 2.0)
    x = x * rng.uniform(0.6, 1.4) * rng.uniform(0.9, 1.1, 3)
    return np.clip(x * 255, 0, 255).astype(np.uint8)


def eval_pairs(long_side: int, per_image: int, rng: np.random.Generator) -> List[Dict[str, np.ndarray]]:
    """Held-out photographs and their warped, relit copies with the ground-truth homography."""
    pairs = []
    for name in HELD_OUT:
        img = skimage_picture(name)
        s = long_side / max(img.shape[:2])
        img = cv2.resize(img, (round(img.shape[1] * s), round(img.shape[0] * s)), interpolation=cv2.INTER_AREA)
        h, w = img.shape[:2]
        for _ in range(per_image):
            H = random_eval_homography(w, h, rng)
            img2 = illumination_change(cv2.warpPerspective(img, H, (w, h), flags=cv2.INTER_LINEAR), rng)
            pairs.append(dict(img1=img, img2=img2, H=H, name=name))
    return pairs


def mma_of(net, pairs, **extract_cfg) -> Dict[str, object]:
    """MMA@1..10 of ``net`` (multi-scale extraction with ``extract_cfg``) on ``pairs``, with timing."""
    return mma_of_features(pairs, lambda rgb: extract_multiscale(net, normalize_rgb(rgb), **extract_cfg))


def mma_of_features(pairs, extract: Callable[[np.ndarray], Dict[str, torch.Tensor]]) -> Dict[str, object]:
    """MMA@1..10 (mean of per-pair accuracies) of any local features on ``pairs``, with timing.

    Args:
        pairs (list[dict]): ``img1``, ``img2`` (H, W, 3) uint8 RGB and ``H`` (3, 3) mapping image 1 to image 2.
        extract: ``rgb -> dict(keypoints (N, >=2) as (x, y, ...), scores (N,), descriptors (N, D))``.

    Returns:
        dict: ``mma`` (10 floats), ``images_per_s``, ``mean_keypoints``.
    """
    acc, t0, n_kp = [], time.perf_counter(), []
    for p in pairs:
        f1, f2 = (extract(p[k]) for k in ('img1', 'img2'))
        m = mutual_nn_match(f1['descriptors'], f2['descriptors']).cpu().numpy()
        acc.append(pair_accuracy(f1['keypoints'].cpu().numpy(), f2['keypoints'].cpu().numpy(), m, p['H']))
        n_kp += [len(f1['scores']), len(f2['scores'])]
    return dict(mma=np.mean(acc, axis=0).tolist(), images_per_s=2 * len(pairs) / (time.perf_counter() - t0),
                mean_keypoints=float(np.mean(n_kp)))


def training_pairs(n: int, crop: int, rng: np.random.Generator) -> List[dict]:
    """``n`` synthetic pairs from the training pictures and generated textures (half each)."""
    sources = [skimage_picture(name) for name in TRAIN_PICTURES]
    items = []
    while len(items) < n:
        img = sources[len(items) % len(sources)] if len(items) % 2 else generated_texture(256, rng)
        p = synthetic_pair(img, rng, crop=crop, short_side=(crop + 32, 2 * crop))
        if p is not None:
            items.append(dict(inputs=torch.from_numpy(np.stack([p['img1'], p['img2']])).permute(0, 3, 1, 2),
                              data_samples=BaseDataElement(aflow=homography_aflow(p['H'], crop, crop))))
    return items


def train_briefly(cfg: dict, data: List[dict], iters: int, batch: int, seed: int,
                  eval_at: Sequence[int] = (), evaluate: Optional[Callable[[torch.nn.Module], dict]] = None,
                  ckpt_dir: Optional[str] = None, progress: bool = False) -> Dict[str, object]:
    """Train a model from ``cfg`` for ``iters`` steps (Adam 1e-3, wd 5e-4) on ``data``.

    ``evaluate(model)`` (in eval mode, no grad) runs after each step in ``eval_at``; its results are
    returned under ``curve`` as ``{step: result}``. With ``ckpt_dir``, the model, optimiser, step, losses
    and curve are saved there after each evaluation and at the end, and a later call with the same
    arguments resumes from the newest checkpoint (the batch order and sampler draws are per step, so a
    resumed run takes the same batches). Returns the model (eval mode), median step time, mean loss of
    the first and last 5 steps, and the curve.
    """
    torch.manual_seed(seed)
    model = MODELS.build(cfg).train()
    optim = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3, weight_decay=5e-4)
    wrapper = OptimWrapper(optim)
    state = dict(step=0, times=[], losses=[], curve={})
    ckpt = osp.join(ckpt_dir, 'last.pth') if ckpt_dir else None
    if ckpt and osp.isfile(ckpt):
        saved = torch.load(ckpt, map_location='cpu', weights_only=True)  # tensors and plain Python values only
        if saved['iters'] != iters or saved['batch'] != batch or saved['seed'] != seed:
            raise ValueError(f'{ckpt}: saved for iters={saved["iters"]}, batch={saved["batch"]}, '
                             f'seed={saved["seed"]}; this run has {iters}, {batch}, {seed} (use another --out)')
        model.load_state_dict(saved['model'])
        optim.load_state_dict(saved['optim'])
        state = saved['state']

    def save() -> None:
        if ckpt:
            os.makedirs(ckpt_dir, exist_ok=True)
            torch.save(dict(model=model.state_dict(), optim=optim.state_dict(), state=state, iters=iters,
                            batch=batch, seed=seed), ckpt + '.tmp')
            os.replace(ckpt + '.tmp', ckpt)

    bar = tqdm(total=iters, initial=state['step'], desc=osp.basename(ckpt_dir) if ckpt_dir else cfg['type'],
               disable=not progress)
    for it in range(state['step'], iters):
        torch.manual_seed(seed * 100003 + it)  # per-step sampler draws: identical after a resume
        batch_items = [data[(it * batch + j) % len(data)] for j in range(batch)]
        t0 = time.perf_counter()
        log = model.train_step(pseudo_collate(batch_items), wrapper)
        state['times'].append(time.perf_counter() - t0)
        state['losses'].append(float(torch.as_tensor(log['loss']).detach()))
        state['step'] = it + 1
        bar.update(1)
        if evaluate is not None and it + 1 in eval_at and it + 1 not in state['curve']:
            model.eval()
            with torch.no_grad():
                state['curve'][it + 1] = evaluate(model)
            model.train()
            save()
    bar.close()
    save()
    return dict(model=model.eval(), step_s=float(np.median(state['times'])),
                first_loss=float(np.mean(state['losses'][:5])), last_loss=float(np.mean(state['losses'][-5:])),
                curve=dict(state['curve']))


# quick: a smoke run (minutes); full: the CPU-sized comparison recorded in docs/benchmarks.md (about 1.5 h on one
# core), MMA evaluated along training (``eval_at``) to show the learning curves, not only the end point.
SETTINGS = {
    True: dict(long_side=160, per_image=1, iters=20, crop=64, batch=2, top_k=300, hrnet='hrnet_w18_small',
               eval_at=(20, )),
    False: dict(long_side=320, per_image=2, iters=400, crop=96, batch=4, top_k=1000, hrnet='hrnet_w18_small',
                eval_at=(100, 200, 400)),
}


@register_benchmark('r2d2ctx')
def run(quick: bool = True, seed: int = 0, out: str = 'work_dirs/bench_r2d2ctx') -> dict:
    """Run the benchmark; returns a flat dict of figures (see the module doc). Trained models are checkpointed
    under ``out`` and a rerun resumes them."""
    rng = np.random.default_rng(seed)
    s = SETTINGS[bool(quick)]
    pairs = eval_pairs(s['long_side'], s['per_image'], rng)
    ecfg = dict(min_size=64, max_size=s['long_side'], top_k=s['top_k'], rel_thr=0.0, rep_thr=0.0)
    res: Dict[str, object] = dict(quick=quick, seed=seed, num_pairs=len(pairs), train_iters=s['iters'],
                                  crop=s['crop'], batch=s['batch'], hrnet=s['hrnet'])
    rows, figure_net = [], None
    if osp.isfile(WEIGHTS):
        net, _ = init_r2d2_net(WEIGHTS)
        figure_net = net
        for tag, cfg in (('released', ecfg), ('released_thr0.7', dict(ecfg, rel_thr=0.7, rep_thr=0.7))):
            rows.append((tag, mma_of(net, pairs, **cfg)))
            print(f'evaluated {tag}', flush=True)
    # the hand-crafted baseline with the same keypoint budget
    rows.append(('rootsift', mma_of_features(pairs, lambda rgb: rootsift_features(rgb, s['top_k']))))
    data = training_pairs(max(16, s['iters'] * s['batch'] // 4), s['crop'], rng)
    semantic = dict(type='HRNetSemanticBranch', model_name=s['hrnet'])
    variants = (('r2d2', dict(type='R2D2')), ('lg', dict(type='R2D2Context', semantic=semantic, use_ma=False)),
                ('lg_ma', dict(type='R2D2Context', semantic=semantic)))
    steps, curves = {}, {}
    for tag, cfg in variants:
        t = train_briefly(cfg, data, s['iters'], s['batch'], seed, eval_at=s['eval_at'],
                          evaluate=lambda m: mma_of(m, pairs, **ecfg), ckpt_dir=osp.join(out, f'train_{tag}'),
                          progress=not quick)
        steps[tag] = t['step_s']
        r = dict(t['curve'][s['iters']]) if s['iters'] in t['curve'] else mma_of(t['model'], pairs, **ecfg)
        r.update(step_s=t['step_s'], first_loss=t['first_loss'], last_loss=t['last_loss'])
        curves[tag] = sorted(t['curve'].items())
        for it, c in curves[tag]:
            for th in (1, 3, 5):
                res[f'{tag}_mma@{th}_at{it}'] = round(c['mma'][th - 1], 4)
        rows.append((tag, r))
        print(f'trained and evaluated {tag}', flush=True)
    print(f'{"model":<18}' + ''.join(f'MMA@{t:<3}' for t in (1, 3, 5, 10)) + ' kpts   img/s  step_s  loss')
    for tag, r in rows:
        m = r['mma']
        print(f'{tag:<18}' + ''.join(f'{m[t - 1]:<7.3f}' for t in (1, 3, 5, 10)) +
              f'{r["mean_keypoints"]:<7.0f}{r["images_per_s"]:<7.2f}' +
              (f'{r["step_s"]:<8.3f}{r["first_loss"]:.3f}->{r["last_loss"]:.3f}' if 'step_s' in r else ''))
        for t in MMA_THRESHOLDS:
            res[f'{tag}_mma@{t}'] = round(m[t - 1], 4)
        res[f'{tag}_images_per_s'] = round(r['images_per_s'], 3)
        if 'step_s' in r:
            res[f'{tag}_step_s'] = round(r['step_s'], 4)
    res['step_time_ratio_lg_ma_vs_r2d2'] = round(steps['lg_ma'] / steps['r2d2'], 3)
    res['extract_speed_ratio_lg_ma_vs_r2d2'] = round(res['lg_ma_images_per_s'] / res['r2d2_images_per_s'], 3)
    os.makedirs(out, exist_ok=True)
    if figure_net is not None:  # the seed paper's Figure 2 on the first held-out pair
        fig = matches_figure(figure_net, pairs[0]['img1'], pairs[0]['img2'], H=pairs[0]['H'],
                             path=osp.join(out, 'matches_released.png'), **dict(ecfg, rel_thr=0.7, rep_thr=0.7))
        res['figure_matches'], res['figure_correct@3'] = fig['num_matches'], fig['num_correct']
    refs = {name: r for name, r in (('released R2D2', dict(rows).get('released')), ('RootSIFT', dict(rows)['rootsift']))
            if r is not None}
    res['figure_curves'] = plot_mma_curves(curves, refs, osp.join(out, 'mma_curves.png'))
    with open(osp.join(out, 'result.json'), 'w') as f:
        json.dump(res, f, indent=1)
    return res


def plot_mma_curves(curves: Dict[str, list], references: Dict[str, dict], path: str) -> str:
    """MMA@1/3/5 against training steps, one line per model (``{tag: [(step, mma_of result), ...]}``), the
    ``{name: mma_of result}`` references (released weights, RootSIFT) as dashed lines; written to ``path``."""
    from wsl.visualization import plot_series
    names = dict(r2d2='R2D2', lg='R2D2+LG', lg_ma='R2D2+LG+MA')
    panels = {f'MMA@{th}': {names.get(tag, tag): ([s for s, _ in pts], [c['mma'][th - 1] for _, c in pts])
                            for tag, pts in curves.items() if pts} for th in (1, 3, 5)}
    refs = {name: {f'MMA@{th}': r['mma'][th - 1] for th in (1, 3, 5)} for name, r in references.items()}
    return plot_series(panels, path, xlabel='training step', references=refs)
