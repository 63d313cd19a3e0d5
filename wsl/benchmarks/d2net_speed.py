"""``wsl bench d2net-speed``: D2-Net training speed, post-processing and evaluation time on the synthetic set.

On the synthetic W-TALC data of ``wsl bench d2net`` (data seed 1000 + seed), in one process:

1. **Training.** The D2-Net synthetic config and, for reference, its cross-entropy row take full training steps
   (next batch from the config's loader, forward, losses, backward, Adam step) with MMEngine's iteration counter
   set past the L_D warm-up, so D2-Net alternates steps with and without pDMI as in the steady state of its
   schedule. Iterations/s, the time of the steps with and without L_D and the peak memory
   (:class:`wsl.utils.profiling.SampledPeakMemory`) of each.
2. **Predictions.** D2-Net is trained through MMEngine's Runner (the config's 400 iterations; 200 with
   ``--quick``) and its refined TCAM r = λ'·T is computed for every test video.
3. **Post-processing** of those same r: ours (:func:`wsl.temporal.postprocess.localize`, vectorized) against the
   loop reference of the official code (:func:`wsl.testing.d2net_reference.reference_localize`), best of
   ``repeats`` interleaved passes over the test set, and a check that every video's detections are identical;
   with the config's constants and with the official THUMOS ones (>= 2 snippets, S_th 0.1).
4. **Evaluation** of the detections: ``TemporalDetectionMAP`` (legacy and ActivityNet protocols, IoU 0.1:0.5,
   F1@0.5) against the official ``getLocMAP`` loop (:func:`wsl.testing.d2net_reference.reference_legacy_map`),
   with a check that the legacy mAPs agree.

Ratios compare measurements of this one call. Without a GPU the device is the CPU (threads as set by the caller).
"""
import os.path as osp
import time
from typing import Dict, List, Sequence

import numpy as np
import torch

from wsl.benchmarks import register_benchmark

CONFIGS = {'CE': 'd2net/d2net-ce_tcn_1xb10-400it_synthetic-wtalc.py',
           'D2-Net': 'd2net/d2net_tcn_1xb10-400it_synthetic-wtalc.py'}
QUICK = dict(train_iters=200, step_iters=20, warmup=2, repeats=10)
FULL = dict(train_iters=None, step_iters=60, warmup=4, repeats=20)  # None: the config's schedule (400)
IOUS = '0.1:0.5'


def _sync(device) -> None:
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize(device)


def measure_training(config: str, data_root: str, iters: int, warmup: int = 2, seed: int = 0,
                     device: str = 'cpu') -> Dict[str, float]:
    """Seconds per training iteration and peak memory of a synthetic config, in this process.

    Each iteration takes the next batch of the config's train loader and runs ``model.train_step``. MMEngine's
    iteration counter starts just after the model's L_D warm-up (``denoise_start_iter``), so a D2-Net model runs
    L_D on every ``denoise_interval``-th step as late in its schedule.

    Returns:
        dict: ``sec_per_iter``, ``iters_per_s``, ``sec_per_iter_with_LD`` / ``sec_per_iter_without_LD`` (NaN
        when no step was of that kind), ``peak_mb`` (peak RSS or CUDA memory of the timed steps above the level after
        the ``warmup`` steps), ``batch_size``, ``iters``.
    """
    from mmengine.config import Config
    from mmengine.logging import MessageHub
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import Runner

    from wsl.registry import MODELS
    from wsl.utils import find_config, register_all_modules
    from wsl.utils.profiling import SampledPeakMemory

    register_all_modules()
    cfg = Config.fromfile(find_config(config))
    cfg.train_dataloader.dataset.data_root = data_root
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model).to(device).train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    loader = iter(Runner.build_dataloader(dict(cfg.train_dataloader), seed=seed))
    hub = MessageHub.get_current_instance()
    start = max(0, int(getattr(model, 'denoise_start_iter', 0)) + 1)
    has_ld = model.loss_snippet is not None or model.loss_video is not None
    for i in range(warmup):  # untimed, outside the memory window: one-time allocations of the process
        hub.update_info('iter', start + i)
        model.train_step(next(loader), optim)
    times: List[tuple] = []
    with SampledPeakMemory(torch.device(device)) as mem:
        for i in range(warmup, warmup + iters):
            hub.update_info('iter', start + i)
            t0 = time.perf_counter()
            model.train_step(next(loader), optim)
            _sync(device)
            times.append((time.perf_counter() - t0, has_ld and model.denoise_active(start + i)))
    sec = np.array([t for t, _ in times])
    on = np.array([a for _, a in times], dtype=bool)
    return dict(sec_per_iter=float(sec.mean()), iters_per_s=float(1 / sec.mean()),
                sec_per_iter_with_LD=float(sec[on].mean()) if on.any() else float('nan'),
                sec_per_iter_without_LD=float(sec[~on].mean()) if (~on).any() else float('nan'),
                peak_mb=float(mem.peak_mb), batch_size=float(cfg.train_dataloader.batch_size), iters=float(iters))


def refined_test_scores(model, dataset) -> List[dict]:
    """Per test video: ``video``, ``r`` (T, C) refined scores, ``select`` (scores for class selection or None),
    ``gt`` (segments in seconds and labels), ``duration``; computed with the model's ``test_cfg``."""
    from wsl.temporal.postprocess import refine_tcam
    cfg = model.test_cfg
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            feats = torch.from_numpy(dataset.video_features(i)).to(next(model.parameters()).device)
            v = model.predict_video(feats)
            r = refine_tcam(v['tcam'], v['lambda_prime'], cfg.get('lambda_rescale_max'))
            out.append(dict(video=info['video_name'], r=r,
                            select=v['tcam'] if cfg.get('select_on', 'refined') == 'tcam' else None,
                            gt=dict(segments=np.asarray(info['gt_segments'], np.float64).reshape(-1, 2),
                                    labels=np.asarray(info['gt_labels'], np.int64)),
                            duration=float(info['duration'])))
    return out


def compare_postprocess(videos: Sequence[dict], test_cfg: dict, repeats: int = 3) -> dict:
    """Time ours vs the loop reference on the same refined scores (best of ``repeats`` interleaved passes), compare.

    Returns:
        dict: ``detections`` (video → ours), ``ours_s`` / ``reference_s`` (seconds for the whole set),
        ``speedup``, ``identical`` (1.0 when every video's detections match), ``mismatched_videos``,
        ``num_detections``, ``ours_peak_mb`` / ``reference_peak_mb``.
    """
    from wsl.temporal.postprocess import localize, localize_kwargs
    from wsl.testing.d2net_reference import reference_localize, same_detections
    from wsl.utils.profiling import SampledPeakMemory

    kw = localize_kwargs(test_cfg)
    fns = (('ours', localize), ('reference', reference_localize))
    res, best, peak = {}, {name: float('inf') for name, _ in fns}, {}
    for name, fn in fns:  # peak memory in an untimed pass (the sampling thread would slow the timed ones)
        with SampledPeakMemory(torch.device('cpu')) as mem:
            res[name] = {v['video']: fn(v['r'], select_scores=v['select'], **kw) for v in videos}
        peak[name] = mem.peak_mb
    for _ in range(max(1, repeats)):  # interleaved timed passes: a load change on a shared machine hits both
        for name, fn in fns:
            t0 = time.perf_counter()
            for v in videos:
                fn(v['r'], select_scores=v['select'], **kw)
            best[name] = min(best[name], time.perf_counter() - t0)
    bad = [v for v in res['ours'] if not same_detections(res['ours'][v], res['reference'][v], atol=1e-9)]
    return dict(detections=res['ours'], ours_s=best['ours'], reference_s=best['reference'],
                speedup=best['reference'] / max(best['ours'], 1e-12), identical=float(not bad),
                mismatched_videos=float(len(bad)),
                num_detections=float(sum(len(d['scores']) for d in res['ours'].values())),
                ours_peak_mb=peak['ours'], reference_peak_mb=peak['reference'])


def compare_evaluation(videos: Sequence[dict], detections: Dict[str, dict], classes: Sequence[str],
                       snippet_rate: float = 25 / 16, repeats: int = 3) -> dict:
    """Time ``TemporalDetectionMAP`` (both protocols, IoU 0.1:0.5, F1@0.5) and the official legacy loop.

    Detections are in snippets ([s, e), as :func:`localize` returns them) and go to the metric in seconds, as the
    model writes them; the reference works on the same snippets and the GT rounded as the legacy protocol does.

    Returns:
        dict: ``legacy_s``, ``activitynet_s``, ``reference_legacy_s`` (best of ``repeats``), ``speedup_legacy``,
        ``legacy_avg``, ``legacy@0.5``, ``activitynet_avg``, ``activitynet@0.5``, ``F1@0.5``,
        ``reference_legacy_avg`` and ``legacy_matches_reference`` (1.0 when every threshold's mAP agrees to 1e-9),
        ``eval_peak_mb``.
    """
    from wsl.temporal.metrics import IOU_SETS, TemporalDetectionMAP, to_snippets
    from wsl.testing.d2net_reference import reference_legacy_map
    from wsl.utils.profiling import SampledPeakMemory

    samples = [dict(video_name=v['video'], duration=v['duration'], gt_instances=v['gt'],
                    pred_instances=dict(segments=detections[v['video']]['segments'] / snippet_rate,
                                        scores=detections[v['video']]['scores'],
                                        labels=detections[v['video']]['labels'])) for v in videos]
    gt_snip = {v['video']: dict(segments=to_snippets(v['gt']['segments'], snippet_rate).astype(np.int64),
                                labels=v['gt']['labels']) for v in videos}

    def metric_pass(protocol: str) -> dict:
        metric = TemporalDetectionMAP(protocol=protocol, iou_thresholds=IOUS, use_ambiguous=False, f1_iou=0.5)
        metric.dataset_meta = dict(classes=tuple(classes))
        metric.process({}, samples)
        return metric.compute_metrics(metric.results)

    passes = dict(legacy=lambda: metric_pass('legacy'), activitynet=lambda: metric_pass('activitynet'),
                  reference_legacy=lambda: reference_legacy_map(detections, gt_snip, IOU_SETS[IOUS]))
    with SampledPeakMemory(torch.device('cpu')) as mem:  # untimed pass: results and peak memory
        res = {name: fn() for name, fn in passes.items()}
    best = {name: float('inf') for name in passes}
    for _ in range(max(1, repeats)):  # interleaved timed passes
        for name, fn in passes.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    out = {f'{name}_s': t for name, t in best.items()}
    for protocol in ('legacy', 'activitynet'):
        out[f'{protocol}_avg'], out[f'{protocol}@0.5'] = res[protocol]['avg'], res[protocol]['mAP@0.50']
    out['F1@0.5'] = res['legacy']['F1@0.50']
    legacy_maps = [res['legacy'][f'mAP@{t:.2f}'] for t in IOU_SETS[IOUS]]
    out.update(speedup_legacy=best['reference_legacy'] / max(best['legacy'], 1e-12),
               reference_legacy_avg=float(np.mean(res['reference_legacy'])),
               legacy_matches_reference=float(np.allclose(res['reference_legacy'], legacy_maps, rtol=0, atol=1e-9)),
               eval_peak_mb=mem.peak_mb)
    return out


def run_d2net_speed(out: str, quick: bool = True, seed: int = 0, device: str = 'cpu') -> dict:
    """All measurements of the module doc; returns the flat result dict."""
    from wsl.benchmarks.d2net import CODE_INFERENCE, synthetic_data, train_and_test

    p = QUICK if quick else FULL
    root = synthetic_data(osp.join(out, 'data', f'seed{seed}'), seed)
    flat: Dict[str, float] = dict(seed=float(seed), torch_threads=float(torch.get_num_threads()))
    for name, config in CONFIGS.items():
        r = measure_training(config, root, p['step_iters'], p['warmup'], seed, device)
        flat.update({f'train/{name}/{k}': v for k, v in r.items()})
        print(f'train {name}: {r}', flush=True)
    flat['train/D2-Net_over_CE_time'] = flat['train/D2-Net/sec_per_iter'] / flat['train/CE/sec_per_iter']
    t0 = time.perf_counter()
    run = train_and_test(CONFIGS['D2-Net'], root, osp.join(out, 'work', f'seed{seed}'), seed, keep_runner=True,
                         max_iters=p['train_iters'])
    flat['runner/seconds'] = time.perf_counter() - t0
    runner = run.pop('runner')
    flat.update({'runner/iters': float(run['iters']), 'runner/sec_per_iter': run['sec_per_iter'],
                 'runner/test_seconds': run['test_seconds'], 'runner/legacy@0.5': run['legacy@0.5']})
    dataset, model = runner.test_dataloader.dataset, runner.model
    t0 = time.perf_counter()
    videos = refined_test_scores(model, dataset)
    flat['inference_s'] = time.perf_counter() - t0
    flat['test_videos'] = float(len(videos))
    flat['test_snippets'] = float(sum(len(v['r']) for v in videos))
    pp = compare_postprocess(videos, model.test_cfg, p['repeats'])
    dets = pp.pop('detections')
    flat.update({f'postprocess/{k}': v for k, v in pp.items()})
    code = compare_postprocess(videos, dict(model.test_cfg, **CODE_INFERENCE), p['repeats'])  # official constants
    code.pop('detections')
    flat.update({f'postprocess_code/{k}': v for k, v in code.items()})
    ev = compare_evaluation(videos, dets, dataset.metainfo['classes'], model.test_cfg.get('snippet_rate', 25 / 16),
                            p['repeats'])
    flat.update({f'eval/{k}': v for k, v in ev.items()})
    ours = pp['ours_s'] + ev['legacy_s']  # the same work: post-processing + legacy mAP 0.1:0.5
    ref = pp['reference_s'] + ev['reference_legacy_s']
    flat.update({'total/ours_s': ours, 'total/reference_s': ref, 'total/speedup': ref / max(ours, 1e-12)})
    return flat


@register_benchmark('d2net-speed')
def d2net_speed_benchmark(quick: bool = False, seed: int = 0, out: str = 'work_dirs/bench_d2net') -> dict:
    """D2-Net vs CE training iterations/s; post-processing and evaluation time, ours vs the official loops."""
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    t0 = time.perf_counter()
    r = run_d2net_speed(out, quick=quick, seed=seed, device=device)
    r['wall_seconds'] = time.perf_counter() - t0
    print(f"\nTraining ({device}, {r['torch_threads']:.0f} threads, batch {r['train/CE/batch_size']:.0f}, "
          f"{r['train/CE/iters']:.0f} timed steps each)")
    print('| config | it/s | s/it | s/it with L_D | s/it without L_D | peak mem (MiB) |\n|---|---|---|---|---|---|')
    for name in CONFIGS:
        g = {k: r[f'train/{name}/{k}'] for k in ('iters_per_s', 'sec_per_iter', 'sec_per_iter_with_LD',
                                                 'sec_per_iter_without_LD', 'peak_mb')}
        with_ld = '–' if np.isnan(g['sec_per_iter_with_LD']) else f"{g['sec_per_iter_with_LD']:.4f}"
        print(f"| {name} | {g['iters_per_s']:.2f} | {g['sec_per_iter']:.4f} | {with_ld} | "
              f"{g['sec_per_iter_without_LD']:.4f} | {g['peak_mb']:.1f} |")
    print(f"D2-Net / CE step time x{r['train/D2-Net_over_CE_time']:.2f}; Runner training {r['runner/iters']:.0f} it "
          f"at {r['runner/sec_per_iter']:.4f} s/it, test pass {r['runner/test_seconds']:.2f} s")
    print(f"\nSynthetic test set: {r['test_videos']:.0f} videos, {r['test_snippets']:.0f} snippets, "
          f"{r['postprocess/num_detections']:.0f} detections; inference {r['inference_s']:.3f} s")
    print('| step | ours (s) | official loops (s) | speed-up | check |\n|---|---|---|---|---|')
    print(f"| post-processing | {r['postprocess/ours_s']:.4f} | {r['postprocess/reference_s']:.4f} | "
          f"x{r['postprocess/speedup']:.1f} | identical detections: {bool(r['postprocess/identical'])} |")
    print(f"| post-processing, official constants (>= 2 snippets, S_th 0.1; {r['postprocess_code/num_detections']:.0f} "
          f"detections) | {r['postprocess_code/ours_s']:.4f} | {r['postprocess_code/reference_s']:.4f} | "
          f"x{r['postprocess_code/speedup']:.1f} | identical detections: {bool(r['postprocess_code/identical'])} |")
    print(f"| legacy evaluation (mAP 0.1:0.5 + F1) | {r['eval/legacy_s']:.4f} | {r['eval/reference_legacy_s']:.4f} | "
          f"x{r['eval/speedup_legacy']:.1f} | same mAP: {bool(r['eval/legacy_matches_reference'])} |")
    print(f"| ActivityNet-protocol evaluation | {r['eval/activitynet_s']:.4f} | – | – | – |")
    print(f"| post-processing + legacy evaluation | {r['total/ours_s']:.4f} | {r['total/reference_s']:.4f} | "
          f"x{r['total/speedup']:.1f} | |")
    print(f"peak memory: post-processing ours {r['postprocess/ours_peak_mb']:.1f} MiB, reference "
          f"{r['postprocess/reference_peak_mb']:.1f} MiB, evaluation {r['eval/eval_peak_mb']:.1f} MiB; legacy mAP "
          f"avg 0.1:0.5 {r['eval/legacy_avg']:.2f}, @0.5 {r['eval/legacy@0.5']:.2f}; wall {r['wall_seconds']:.0f} s")
    return r
