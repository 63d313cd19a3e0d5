"""``wsl bench nefes``: NeFeS on the synthetic ray-cast room: train the field, refine perturbed test poses.

1. Generate the room (7-Scenes layout, 30 x 40 images) and train a voxel-grid NeFeS with the progressive
   schedule (``configs/nefes/nefes_grid_1xb4-24e_room.py``; quick mode shortens it) through MMEngine's Runner.
2. "APR" = ground-truth test poses perturbed by exactly 3 deg / 0.12 m in random directions (fixed seed).
3. Sanity check before refining: the feature-metric and photometric losses at the true pose vs at the perturbed
   pose (refinement can only work where the loss at the truth is lower).
4. Refine in direct-pose mode, all test frames together (the fusion CNN runs per image): feature-metric vs
   photometric and split (lr_R, lr_t) vs one shared rate: the supplement's Tables 4-5 in miniature.
5. Optionally (full run) the APR-weights mode: a PoseNet-style APR trained on the room, refined per test image
   (fresh APR copy, Adam on its weights).
6. Speed/memory of refinement iterations (render + fusion + backward), MLP field vs voxel-grid field, same run
   (quick: 30 x 40, full: the paper's 60 x 80; both 64 + 64 samples).
"""
import os.path as osp
import time
from typing import Dict, Tuple

import numpy as np
import torch

from wsl.benchmarks import register_benchmark

CONFIG = 'nefes/nefes_grid_1xb4-24e_room.py'
APR_CONFIG = 'nefes/posenet-apr_r18_1xb8-60e_room.py'
# Quick: 336 field iterations (stage 3: 144 steps on 30 x 30 patches) and 25 refinement steps on 6 frames.
QUICK = dict(num_train=96, num_test=6, epochs=14, stages=(6, 2), iters=25, speed_size=(30, 40), speed_iters=1,
             speed_warmup=0, apr=False, variants=('feature_split_lr', 'feature_same_lr', 'photometric_split_lr'))
FULL = dict(num_train=96, num_test=20, epochs=32, stages=(10, 4), iters=50, speed_size=(60, 80), speed_iters=2,
            speed_warmup=1, apr=True, apr_epochs=60, apr_iters=50,
            variants=('feature_split_lr', 'feature_same_lr', 'photometric_split_lr', 'photometric_same_lr'))
PERTURB = dict(rot_deg=3.0, trans_m=0.12)  # initial ("APR") error per test frame
# name -> (loss, lr_R (rad), lr_t (m)). Split rates: S Table 5's lr_R / lr_t = 0.1 ratio scaled to a 4 m room
# (lr_t 0.1 is for Cambridge's 100 m scenes); same rate: Table 5's best shared rate, 0.01.
VARIANTS = dict(feature_split_lr=('feature', 0.005, 0.02), feature_same_lr=('feature', 0.01, 0.01),
                photometric_split_lr=('photometric', 0.005, 0.02), photometric_same_lr=('photometric', 0.01, 0.01))
# APR-weights mode: the paper's lr 1e-5 (1e-4 diverges on the room); the ResNet's BatchNorm layers in eval mode
# (trap T7: in train mode a single 30 x 40 query normalises its last ResNet stages over 2 positions, and the first
# refinement step moves the pose by many degrees).
APR_REFINE = dict(lr=1e-5, border=2, freeze_bn=True)


def _room_config(root: str, rel: str):
    from mmengine.config import Config

    from wsl.utils import find_config
    cfg = Config.fromfile(find_config(rel))
    for ds in (cfg.train_dataloader.dataset, cfg.refine_dataset):
        ds.data_root, ds.pose_avg_file = root, osp.join(root, 'pose_avg_stats.txt')
    return cfg


def train_room_field(out: str, p: dict, seed: int):
    """Generate the room, train its NeFeS (Runner); returns (model, refine dataset, seconds, iterations)."""
    from mmengine.runner import Runner

    from wsl.localization.nefes.room_setup import prepare_room
    from wsl.registry import DATASETS
    from wsl.utils import register_all_modules
    register_all_modules()
    root = prepare_room(osp.join(out, 'data'), num_train=p['num_train'], num_test=p['num_test'], seed=seed)
    cfg = _room_config(root, CONFIG)
    epochs = p['epochs']
    cfg.train_cfg.max_epochs = epochs
    cfg.param_scheduler[0].update(end=epochs, gamma=0.1**(1200 / (754 * epochs)))
    cfg.custom_hooks[0].stage_epochs = p['stages']
    cfg.default_hooks.checkpoint.interval = epochs
    cfg.default_hooks.logger.interval = 1000
    cfg.work_dir, cfg.log_level = osp.join(out, 'work'), 'WARNING'
    cfg.randomness = dict(seed=seed, deterministic=False)
    runner = Runner.from_cfg(cfg)
    t0 = time.perf_counter()
    runner.train()
    train_s = time.perf_counter() - t0
    cfg.dump(osp.join(out, 'work', 'config.py'))
    return runner.model.eval(), DATASETS.build(cfg.refine_dataset), train_s, runner.iter


def perturb_poses(gt: torch.Tensor, rot_deg: float, trans_m: float, seed: int) -> torch.Tensor:
    """(N, 3, 4) poses rotated by exactly ``rot_deg`` and shifted by exactly ``trans_m``, in random directions."""
    from wsl.localization.nefes.pose import so3_exp
    g = torch.Generator().manual_seed(seed)
    axes = torch.nn.functional.normalize(torch.randn(len(gt), 3, generator=g, dtype=gt.dtype), dim=-1)
    dirs = torch.nn.functional.normalize(torch.randn(len(gt), 3, generator=g, dtype=gt.dtype), dim=-1)
    rot = so3_exp(axes * np.deg2rad(rot_deg)) @ gt[:, :, :3]
    return torch.cat([rot, (gt[:, :, 3] + trans_m * dirs)[..., None]], -1)


def batch_renderer(nefes, scene, hist: torch.Tensor, size, focal: float):
    """pose (B, 3, 4) APR frame -> fused features / colour, fusion CNN run per image (its BN sees one render)."""

    def render(pose):
        out = nefes.render_image(scene.to_nerf(pose), hist, *size, focal, scene.near, scene.far, fuse=False)
        fused = torch.cat([nefes.fusion(out['rgb'][i:i + 1], out['feat'][i:i + 1]) for i in range(len(pose))])
        return dict(feat=fused, rgb=out['rgb'])

    return render


def frame_losses(render, poses: torch.Tensor, target_feat: torch.Tensor, target_rgb: torch.Tensor
                 ) -> Tuple[np.ndarray, np.ndarray]:
    """Per-frame feature-metric (per-channel cosine) and photometric (MSE) losses of the renders at ``poses``.

    Returns:
        tuple: two (N,) arrays.
    """
    from wsl.localization.nefes.feature_matching import per_channel_cosine_loss
    with torch.no_grad():
        out = render(poses)
    feat = [float(per_channel_cosine_loss(out['feat'][i:i + 1], target_feat[i:i + 1])) for i in range(len(poses))]
    rgb = (out['rgb'] - target_rgb).square().flatten(1).mean(1)
    return np.array(feat), rgb.numpy()


def exact_renderer_losses(extractor, poses: torch.Tensor, target_feat: torch.Tensor, focal: float, seed: int
                          ) -> Tuple[np.ndarray, np.ndarray]:
    """Per-frame feature-metric loss and (N, 3, H, W) images of exact ray-cast renders at APR-frame ``poses``.

    The loss of the exact render at the perturbed pose is the signal refinement works with; compare it with
    the NeFeS loss at the true pose (the field's error floor).
    """
    from wsl.datasets.synthetic.room import make_room_scene, render_views_torch
    from wsl.localization.nefes.feature_matching import per_channel_cosine_loss
    flip = torch.diag(poses.new_tensor([1.0, -1.0, -1.0]))  # APR frame -> room frame (prepare_room's setup)
    with torch.no_grad():
        imgs = render_views_torch(make_room_scene(seed), flip @ poses, *target_feat.shape[-2:], focal).float()
        feat = extractor.extract_features(imgs, levels=(0, ), size=target_feat.shape[-2:])[0]
    losses = [float(per_channel_cosine_loss(feat[i:i + 1], target_feat[i:i + 1])) for i in range(len(feat))]
    return np.array(losses), imgs


def _medians(prefix: str, pose: torch.Tensor, gt: torch.Tensor) -> dict:
    from wsl.localization.nefes.pose_metric import pose_errors
    t_err, r_err = pose_errors(pose.double(), gt.double())
    return {f'{prefix}_median_t_m': float(np.median(t_err)), f'{prefix}_median_r_deg': float(np.median(r_err))}


def refine_room_poses(model, dataset, p: dict, seed: int = 0):
    """Perturb the test poses, check the losses at the truth, refine with every variant; returns (metrics, extras)."""
    from wsl.localization.nefes.refine import photometric_loss, refine_pose_direct
    nefes, extractor = model.nefes.requires_grad_(False), model.feature_extractor
    samples = [dataset[i] for i in range(min(p['num_test'], len(dataset)))]
    imgs = torch.stack([s['inputs'] for s in samples]).float()
    hist = torch.stack([s['data_samples'].hist for s in samples])
    gt = torch.stack([s['data_samples'].pose for s in samples]).double()
    size = tuple(imgs.shape[-2:])
    focal = float(samples[0]['data_samples'].focal)
    with torch.no_grad():
        target_feat = extractor.extract_features(imgs, levels=(0, ), size=size)[0]
    init = perturb_poses(gt, PERTURB['rot_deg'], PERTURB['trans_m'], seed + 1).float()
    render = batch_renderer(nefes, dataset.scene_setup, hist, size, focal)
    res = dict(apr='perturbed-gt', num_test=len(samples), render_size=f'{size[0]}x{size[1]}',
               **_medians('initial', init, gt))
    feat_gt, rgb_gt = frame_losses(render, gt.float(), target_feat, imgs)
    feat_init, rgb_init = frame_losses(render, init, target_feat, imgs)
    res.update(test_psnr_db=float(-10 * np.log10(rgb_gt.mean())), feature_loss_at_gt=float(feat_gt.mean()),
               feature_loss_at_init=float(feat_init.mean()), photometric_loss_at_gt=float(rgb_gt.mean()),
               photometric_loss_at_init=float(rgb_init.mean()),
               frac_frames_feature_loss_lower_at_gt=float((feat_gt < feat_init).mean()),
               frac_frames_photometric_loss_lower_at_gt=float((rgb_gt < rgb_init).mean()))
    exact_init, _ = exact_renderer_losses(extractor, init, target_feat, focal, seed)
    res['exact_feature_loss_at_init'] = float(exact_init.mean())
    poses = dict(gt=gt.numpy(), initial=init.double().numpy())
    for name in p['variants']:
        loss, lr_r, lr_t = VARIANTS[name]
        t0 = time.perf_counter()
        r = refine_pose_direct(render, init, target_feat if loss == 'feature' else imgs, num_iters=p['iters'],
                               lr_rot=lr_r, lr_trans=lr_t, loss_fn=photometric_loss if loss == 'photometric' else None)
        res.update(_medians(name, r['pose'], gt))
        res[f'{name}_seconds'] = round(time.perf_counter() - t0, 1)
        poses[name] = r['pose'].double().numpy()
    best = 'feature_split_lr'
    res['refinement_reduces_error'] = bool(res[f'{best}_median_t_m'] < res['initial_median_t_m']
                                           and res[f'{best}_median_r_deg'] < res['initial_median_r_deg'])
    return res, dict(poses=poses, render=render, target_feat=target_feat, imgs=imgs, hist=hist, samples=samples)


def train_room_apr(out: str, root: str, p: dict, seed: int):
    """Train the PoseNet-style APR on the room's training images; returns (APR network, seconds)."""
    from mmengine.runner import Runner
    cfg = _room_config(root, APR_CONFIG)
    epochs = p['apr_epochs']
    cfg.train_cfg.max_epochs, cfg.train_cfg.val_interval = epochs, epochs + 1
    cfg.default_hooks.checkpoint.interval = epochs
    cfg.default_hooks.logger.interval = 1000
    cfg.work_dir, cfg.log_level = osp.join(out, 'apr_work'), 'WARNING'
    cfg.randomness = dict(seed=seed, deterministic=False)
    runner = Runner.from_cfg(cfg)
    t0 = time.perf_counter()
    runner.train()
    return runner.model.apr.eval(), time.perf_counter() - t0


def refine_room_apr(out: str, model, dataset, extras: dict, p: dict, seed: int) -> Dict[str, object]:
    """APR-weights mode on the room: train the APR, then refine each test image from a fresh copy of it."""
    from wsl.localization.nefes.refine import NeFeSQueryRenderer, apr_pose, refine_apr_weights
    apr, apr_s = train_room_apr(out, dataset.data_root, p, seed)
    samples, imgs, hist = extras['samples'], extras['imgs'], extras['hist']
    gt = torch.as_tensor(extras['poses']['gt'])
    size, focal = tuple(imgs.shape[-2:]), float(samples[0]['data_samples'].focal)
    with torch.no_grad():
        initial = apr_pose(apr, imgs)
    refined, t0 = [], time.perf_counter()
    for i in range(len(samples)):
        render = NeFeSQueryRenderer(model.nefes, dataset.scene_setup, hist[i:i + 1], size, focal)
        r = refine_apr_weights(apr, imgs[i:i + 1], render, extras['target_feat'][i:i + 1], num_iters=p['apr_iters'],
                               lr=APR_REFINE['lr'], border=APR_REFINE['border'], verify_image=None,
                               freeze_bn=APR_REFINE['freeze_bn'])
        refined.append(r['pose'])
    refined = torch.cat(refined)
    res = dict(apr_train_seconds=round(apr_s, 1), apr_refine_seconds=round(time.perf_counter() - t0, 1),
               **_medians('apr', initial, gt), **_medians('apr_refined', refined, gt))
    extras['poses'].update(apr=initial.double().numpy(), apr_refined=refined.double().numpy())
    return res


def run_nefes(out: str, quick: bool = True, seed: int = 0, speed: bool = True) -> Dict[str, object]:
    """The whole benchmark; returns ``metrics`` and ``extras`` (poses, renderer, tensors the demo section draws)."""
    from wsl.localization.nefes.speed import measure_refinement_speed
    p = QUICK if quick else FULL
    t_start = time.perf_counter()
    torch.manual_seed(seed)
    model, dataset, train_s, iters = train_room_field(out, p, seed)
    res, extras = refine_room_poses(model, dataset, p, seed)
    res.update(train_iters=iters, train_seconds=round(train_s, 1))
    if p.get('apr'):
        res.update(refine_room_apr(out, model, dataset, extras, p, seed))
    if speed:
        for backend in ('mlp', 'grid'):
            s = measure_refinement_speed(backend, p['speed_size'], iters=p['speed_iters'], warmup=p['speed_warmup'],
                                         threads=torch.get_num_threads())
            res.update({f'speed_{backend}_it_per_s': round(s['it_per_s'], 4),
                        f'speed_{backend}_peak_mem_mb': round(s['peak_mem_mb'], 1)})
        res.update(speed_device='cpu', speed_render_size='{}x{}'.format(*p['speed_size']),
                   speed_grid_over_mlp=round(res['speed_grid_it_per_s'] / res['speed_mlp_it_per_s'], 2))
    res['total_seconds'] = round(time.perf_counter() - t_start, 1)
    return dict(metrics=res, extras=extras)


def _variant_label(name: str) -> str:
    loss, lr_r, lr_t = VARIANTS[name]
    return f'{loss}, ' + (f'split lr (lr_R {lr_r}, lr_t {lr_t})' if lr_r != lr_t else f'same lr ({lr_r})')


@register_benchmark('nefes')
def nefes_benchmark(quick: bool, seed: int, out: str) -> dict:
    """NeFeS refinement on the synthetic room (see the module docstring)."""
    res = run_nefes(osp.join(out, 'nefes'), quick=quick, seed=seed)['metrics']
    p = QUICK if quick else FULL
    print(f"\nNeFeS on the synthetic room ({res['num_test']} test frames at {res['render_size']}, field trained "
          f"{res['train_iters']} iterations in {res['train_seconds']} s, test PSNR {res['test_psnr_db']:.2f} dB)")
    print(f"loss at the true pose vs at the perturbed pose (mean over frames): feature-metric "
          f"{res['feature_loss_at_gt']:.4f} vs {res['feature_loss_at_init']:.4f} (lower at the truth for "
          f"{res['frac_frames_feature_loss_lower_at_gt']:.0%} of frames), photometric "
          f"{res['photometric_loss_at_gt']:.5f}"
          f" vs {res['photometric_loss_at_init']:.5f} ({res['frac_frames_photometric_loss_lower_at_gt']:.0%}); "
          f"exact ray-cast render at the perturbed pose: feature-metric {res['exact_feature_loss_at_init']:.4f}")
    print(f"{'direct-pose refinement, ' + str(p['iters']) + ' it':<52} {'median t (m)':>13} {'median R (deg)':>15}")
    print(f"{'initial (GT perturbed by 3 deg / 0.12 m)':<52} {res['initial_median_t_m']:>13.4f} "
          f"{res['initial_median_r_deg']:>15.3f}")
    for name in p['variants']:
        print(f"{_variant_label(name):<52} {res[f'{name}_median_t_m']:>13.4f} {res[f'{name}_median_r_deg']:>15.3f}")
    if 'apr_median_t_m' in res:
        print(f"{'APR (PoseNet-style ResNet-18)':<52} {res['apr_median_t_m']:>13.4f} {res['apr_median_r_deg']:>15.3f}")
        label = f"APR + NeFeS{p['apr_iters']} (APR-weights mode)"
        print(f"{label:<52} {res['apr_refined_median_t_m']:>13.4f} {res['apr_refined_median_r_deg']:>15.3f}")
    if 'speed_mlp_it_per_s' in res:
        for b in ('mlp', 'grid'):
            print(f"speed {b:<5} {res[f'speed_{b}_it_per_s']:.4f} it/s, peak +{res[f'speed_{b}_peak_mem_mb']} MB "
                  f"({res['speed_render_size']}, 64+64 samples, {res['speed_device']})")
        print(f"grid / MLP speed ratio: {res['speed_grid_over_mlp']}x")
    print(f"total {res['total_seconds']} s")
    return res


def nefes_section(out_dir: str, quick: bool):
    """Demo section: refinement table, camera trajectories and rendered vs extracted feature maps."""
    from wsl.demo import DemoSection
    from wsl.localization.nefes.figures import plot_feature_maps, plot_trajectories
    r = run_nefes(osp.join(out_dir, 'nefes'), quick=quick, seed=0, speed=False)
    m, x = r['metrics'], r['extras']
    p = QUICK if quick else FULL
    traj_png, feat_png = osp.join(out_dir, 'nefes_trajectories.png'), osp.join(out_dir, 'nefes_features.png')
    plot_trajectories(traj_png, x['poses']['gt'], x['poses']['initial'], x['poses']['feature_split_lr'],
                      title='room test cameras (top view)')
    with torch.no_grad():
        rendered = x['render'](torch.as_tensor(x['poses']['gt'], dtype=torch.float32))
    plot_feature_maps(feat_png, rendered['feat'][0].numpy(), x['target_feat'][0].numpy(), query=x['imgs'][0].numpy(),
                      render_rgb=rendered['rgb'][0].numpy())
    rows = [('initial (GT perturbed by 3° / 0.12 m)', 'initial')] + [(_variant_label(n), n) for n in p['variants']]
    if 'apr_median_t_m' in m:
        rows += [('APR (PoseNet-style ResNet-18)', 'apr'), ('APR + NeFeS, APR-weights mode', 'apr_refined')]
    md = (f"A voxel-grid NeFeS trained on the synthetic ray-cast room with the progressive schedule "
          f"({m['train_iters']} iterations, test PSNR {m['test_psnr_db']:.2f} dB); {m['num_test']} test poses refined "
          f"in direct-pose mode for {p['iters']} iterations. Mean feature-metric loss at the true pose "
          f"{m['feature_loss_at_gt']:.3f} vs {m['feature_loss_at_init']:.3f} at the perturbed pose.\n\n"
          '| refinement | median t (m) | median R (deg) |\n|---|---|---|\n')
    md += ''.join(f"| {label} | {m[f'{k}_median_t_m']:.4f} | {m[f'{k}_median_r_deg']:.3f} |\n" for label, k in rows)
    md += ('\n![trajectories](nefes_trajectories.png)\n\nGreen: ground truth, red: initial (perturbed), blue: refined '
           '(feature-metric, split learning rates); grey segments join each estimate to its ground truth.\n\n'
           '![features](nefes_features.png)\n\nQuery image, NeFeS colour, fused NeFeS features and DFNet features of '
           'the query at the true pose, in one shared PCA colour basis.\n')
    metrics = {k: v for k, v in m.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return DemoSection('Localization: NeFeS pose refinement on the synthetic room', md, [traj_png, feat_png], metrics)
