"""The ``wsl demo`` section of R2D2 / context aggregation: MMA on held-out warped photographs, the matches
figure (the seed paper's Figure 2) and a small visual-localization run on the generated textured-plane scene.

Features come from the released R2D2 weights (``r2d2_WASF_N16.pt``, found like ``wsl bench r2d2ctx`` finds it);
without them an R2D2 is trained briefly on synthetic pairs (far from converged: the figures then show the
pipeline, not R2D2's quality) and the localization run uses RootSIFT.
"""
import os
import os.path as osp
import time
from typing import Callable, Dict, Tuple

import numpy as np
import torch
from torch import Tensor

SETTINGS = dict(quick=dict(long_side=256, per_image=1, train_iters=30, loc_width=240, loc_height=180,
                           loc_positions=2, loc_queries=4),
                full=dict(long_side=480, per_image=2, train_iters=300, loc_width=320, loc_height=240,
                          loc_positions=3, loc_queries=8))


def feature_network(quick: bool, seed: int = 0) -> Tuple[Callable[[Tensor], Dict[str, Tensor]], str, bool]:
    """The released R2D2 network when its weights are found, else a briefly trained R2D2.

    Returns:
        tuple: ``(net, description, released)`` with ``net`` mapping (1, 3, H, W) normalised images to maps.
    """
    from .benchmark import WEIGHTS, train_briefly, training_pairs
    from .inference import init_r2d2_net
    if osp.isfile(WEIGHTS):
        return init_r2d2_net(WEIGHTS)[0], 'the released R2D2 weights (`r2d2_WASF_N16.pt`)', True
    s = SETTINGS['quick' if quick else 'full']
    data = training_pairs(max(16, s['train_iters'] // 2), 64, np.random.default_rng(seed))
    model = train_briefly(dict(type='R2D2'), data, s['train_iters'], batch=2, seed=seed)['model']
    return model.maps, f'an R2D2 trained for {s["train_iters"]} steps on synthetic pairs (released weights not '\
        'found)', False


def localization_run(root: str, s: dict, extract: Callable[[np.ndarray], dict], seed: int = 0) -> Dict[str, dict]:
    """Render the textured-plane scene, extract with ``extract(rgb)``, triangulate, localize; per-subset reports."""
    from .localization_benchmark import (evaluate_features, extract_to_folder, make_localization_scene,
                                         ransac_threshold)
    scene = make_localization_scene(osp.join(root, 'scene'), s['loc_width'], s['loc_height'], s['loc_positions'],
                                    s['loc_queries'], seed)
    stats = extract_to_folder(scene['images'], osp.join(root, 'features'), extract)
    res = evaluate_features(scene, osp.join(root, 'features'), seed,
                            dict(ransac_max_error=ransac_threshold(max(s['loc_width'], s['loc_height']))))
    res.update(stats, num_db=len(scene['db_cam_from_world']))
    return res


def r2d2_section(out_dir: str, quick: bool):
    """R2D2 demo: MMA table and matches figure on held-out warped photographs, localization on a generated scene.

    Returns:
        wsl.demo.DemoSection: title, Markdown, the figure path and flat metrics.
    """
    from wsl.demo import DemoSection
    from .benchmark import HELD_OUT, eval_pairs, mma_of
    from .extract import extract_multiscale, normalize_rgb
    from .match_figure import matches_figure
    from .pose_accuracy import AACHEN_THRESHOLDS, SEED_PAPER_THRESHOLDS, threshold_key
    from .sift import rootsift_features

    s = SETTINGS['quick' if quick else 'full']
    root = osp.join(out_dir, 'r2d2')
    os.makedirs(root, exist_ok=True)
    t0 = time.perf_counter()
    torch.manual_seed(0)
    net, source, released = feature_network(quick)
    thr = 0.7 if released else 0.0  # briefly trained maps rarely pass the official 0.7
    ecfg = dict(min_size=64, max_size=s['long_side'], top_k=1000, rel_thr=thr, rep_thr=thr)
    pairs = eval_pairs(s['long_side'], s['per_image'], np.random.default_rng(0))
    with torch.no_grad():
        mma = mma_of(net, pairs, **ecfg)
        fig_path = osp.join(out_dir, 'r2d2_matches.png')
        fig = matches_figure(net, pairs[0]['img1'], pairs[0]['img2'], H=pairs[0]['H'], path=fig_path, **ecfg)
    m = mma['mma']
    md = [f'Local features from {source}, extracted multi-scale (2^0.25 pyramid, {s["long_side"]} px down to 64 px, '
          f'thresholds {thr:g}, top 1000), matched by mutual nearest neighbours. **MMA** (D2-Net protocol: fraction '
          f'of matches within t px, averaged over pairs) on {len(pairs)} held-out scikit-image photographs '
          f'({", ".join(HELD_OUT)}; never trained on) warped by random homographies with an illumination change:\n',
          '| MMA@1 | MMA@2 | MMA@3 | MMA@5 | MMA@10 | keypoints / image | images/s |', '|---|---|---|---|---|---|---|',
          f'| {m[0]:.3f} | {m[1]:.3f} | {m[2]:.3f} | {m[4]:.3f} | {m[9]:.3f} | {mma["mean_keypoints"]:.0f} | '
          f'{mma["images_per_s"]:.2f} |\n',
          f'![matches]({osp.basename(fig_path)})\n',
          f'Mutual-NN matches on the `{pairs[0]["name"]}` pair: green within 3 px of the true homography, red '
          f'beyond ({fig["num_correct"]} of {fig["num_matches"]} correct).\n']
    metrics = {f'mma@{t}': round(m[t - 1], 4) for t in (1, 3, 5, 10)}
    metrics.update(matches=fig['num_matches'], correct_matches=fig['num_correct'])

    if released:
        def extract(rgb):
            return extract_multiscale(net, normalize_rgb(rgb), min_size=128, max_size=1024, top_k=5000)
        feat_name = 'R2D2 (released weights, official thresholds)'
    else:
        def extract(rgb):
            return rootsift_features(rgb, 5000)
        feat_name = 'RootSIFT (no released R2D2 weights found)'
    loc = localization_run(osp.join(root, 'localization'), s, extract)
    thresholds = list(AACHEN_THRESHOLDS) + list(SEED_PAPER_THRESHOLDS[:2])
    md += [f'**Visual localization** on the generated textured-plane scene ({loc["num_db"]} database views with known '
           f'poses, {s["loc_queries"]} queries at {s["loc_width"]}x{s["loc_height"]} px, half of them "night": '
           f'darkened, colour-cast, noisy), with {feat_name}: MNN matching, triangulation with the known poses, '
           'then `pycolmap.estimate_and_refine_absolute_pose` per query (the `tools/localize.py` pipeline). '
           'Fraction of queries within each (position, rotation) threshold:\n',
           '| queries | ' + ' | '.join(f'{t:g} m, {r:g}°' for t, r in thresholds) + ' | localized | median error |',
           '|---' * (len(thresholds) + 3) + '|']
    for subset in ('all', 'day', 'night'):
        r = loc[subset]
        med = '-' if r['median_t'] is None else f'{100 * r["median_t"]:.1f} cm / {r["median_r_deg"]:.2f}°'
        md.append(f'| {subset} | ' + ' | '.join(f'{r[threshold_key(t, rr)]:.2f}' for t, rr in thresholds) +
                  f' | {r["num_localized"]}/{r["num_queries"]} | {med} |')
        for t, rr in AACHEN_THRESHOLDS:
            metrics[f'loc_{subset}_{threshold_key(t, rr)}'] = round(r[threshold_key(t, rr)], 4)
    md.append(f'\n{loc["num_points3D"]} triangulated points (median distance to the true surface '
              f'{100 * (loc["point_err_median_m"] or float("nan")):.1f} cm). Whole section: '
              f'{time.perf_counter() - t0:.0f} s. Full runs: `wsl bench r2d2ctx` (R2D2 / +LG / +LG+MA) and '
              '`wsl bench r2d2ctx-localization`; HPatches: `tools/test.py '
              'configs/r2d2/r2d2_l2net_official-wasf-n16_hpatches.py CHECKPOINT`.\n')
    return DemoSection('Local features: R2D2 (+ context aggregation), MMA and visual localization', '\n'.join(md),
                       [fig_path], metrics)
