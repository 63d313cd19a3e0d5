"""Speed and memory of the two BBAM strategies on the same images, detector and number of steps.

'per_object' is the official loop (one image copy, one object, ``num_steps`` forward/backward passes per object);
'batched' stacks the copies of several objects and images in one forward. Both run in this process, one after
the other, each after a short warm-up; the maps they produce are compared (binarised, IoU per object) to show that
batching does not change the result.
"""
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from wsl.utils.profiling import SampledPeakMemory as PeakMemory
from .generate import iter_bbam


def binary_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two boolean masks; 1.0 when both are empty."""
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def box_region(box: Sequence[float], shape: Sequence[int]) -> np.ndarray:
    """Boolean (H, W) mask of the pixels of an (x1, y1, x2, y2) box with inclusive 0-based pixel indices."""
    m = np.zeros(tuple(int(v) for v in shape), dtype=bool)
    x1, y1, x2, y2 = (int(round(float(v))) for v in box)
    m[max(y1, 0):y2 + 1, max(x1, 0):x2 + 1] = True
    return m


def run_strategy(optimizer, dataset, indices: Sequence[int], strategy: str, seed: int = 0,
                 keep_ignored: bool = True) -> Dict[str, object]:
    """Run one strategy over ``indices``; returns records, seconds, peak memory and object counts."""
    optimizer.strategy = strategy
    device = next(optimizer.detector.parameters()).device
    with PeakMemory(device) as mem:
        t0, c0 = time.perf_counter(), time.process_time()
        out = list(iter_bbam(optimizer, dataset, indices, seed, keep_ignored))
        if device.type == 'cuda':
            torch.cuda.synchronize(device)
        seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    records = [rec for rec, _ in out]
    objects = sum(len(objs) for _, objs in out)
    optimised = sum(o.num_positives > 0 for _, objs in out for o in objs)
    return dict(records=records, seconds=seconds, cpu_seconds=cpu_seconds, peak_mem_mb=mem.peak_mb, objects=objects,
                optimised=optimised)


def compare_strategies(optimizer, dataset, indices: Sequence[int], seed: int = 0, keep_ignored: bool = True,
                       threshold: float = 0.5, gt_masks: Optional[Dict[str, np.ndarray]] = None,
                       warmup_steps: int = 2) -> Dict[str, float]:
    """Time 'per_object' and 'batched' on the same images and compare their binarised maps.

    Args:
        optimizer (BBAMOptimizer): configured optimiser (its ``num_steps`` is used by both strategies).
        dataset: the BBAM dataset.
        indices (Sequence[int]): dataset indices to process.
        seed (int): jitter seed (same proposals for both strategies).
        keep_ignored (bool): keep ``ignore_flag`` boxes.
        threshold (float): maps are binarised at ``map >= threshold`` inside the GT box.
        gt_masks (dict | None): ``{img_id: (N, H, W) bool}`` instance masks in annotation order; adds each
            strategy's mIoU against them.
        warmup_steps (int): steps of an untimed warm-up run of each strategy on the first image.

    Returns:
        dict: per strategy ``{s}_seconds`` (wall), ``{s}_cpu_seconds`` (process CPU time), ``{s}_masks_per_s``,
        ``{s}_sec_per_mask``, ``{s}_peak_mem_mb`` (and ``{s}_miou_gt``); ``speedup`` (per-object wall time over
        batched wall time), ``speedup_cpu_time`` (the same in process CPU time), ``miou_between`` (in %, mean
        over optimised objects), ``max_abs_diff`` (largest map difference), ``objects``, ``optimised``.
    """
    steps = optimizer.num_steps
    if warmup_steps > 0 and len(indices):
        optimizer.num_steps = warmup_steps
        for strategy in ('per_object', 'batched'):
            run_strategy(optimizer, dataset, indices[:1], strategy, seed, keep_ignored)
        optimizer.num_steps = steps
    res = {s: run_strategy(optimizer, dataset, indices, s, seed, keep_ignored) for s in ('per_object', 'batched')}
    ious: List[float] = []
    max_diff = 0.0
    gt_ious = {s: [] for s in res}
    for rec_p, rec_b in zip(res['per_object']['records'], res['batched']['records']):
        shape = tuple(int(v) for v in rec_p['ori_shape'])
        for k in range(len(rec_p['labels'])):
            box = box_region(rec_p['boxes'][k], shape)
            bins = {s: (r['maps'][k].astype(np.float32) >= threshold) & box
                    for s, r in (('per_object', rec_p), ('batched', rec_b))}
            if rec_p['num_positives'][k] > 0 or rec_b['num_positives'][k] > 0:
                ious.append(binary_iou(bins['per_object'], bins['batched']))
                max_diff = max(max_diff, float(np.abs(rec_p['maps'][k].astype(np.float32) -
                                                      rec_b['maps'][k].astype(np.float32)).max()))
            if gt_masks is not None:
                gt = gt_masks[str(rec_p['img_id'])][k]
                for s in res:
                    gt_ious[s].append(binary_iou(bins[s], gt))
    out: Dict[str, float] = dict(images=len(indices), objects=res['batched']['objects'],
                                 optimised=res['batched']['optimised'], num_steps=steps,
                                 max_batch_objects=optimizer.max_batch_objects)
    for s, r in res.items():
        n = max(r['optimised'], 1)
        out.update({f'{s}_seconds': r['seconds'], f'{s}_cpu_seconds': r['cpu_seconds'],
                    f'{s}_masks_per_s': r['optimised'] / r['seconds'],
                    f'{s}_sec_per_mask': r['seconds'] / n, f'{s}_peak_mem_mb': r['peak_mem_mb']})
        if gt_masks is not None:
            out[f'{s}_miou_gt'] = 100.0 * float(np.mean(gt_ious[s])) if gt_ious[s] else float('nan')
    out['speedup'] = res['per_object']['seconds'] / res['batched']['seconds']
    # process CPU time: on a shared CPU it is less disturbed by other processes than the wall clock
    out['speedup_cpu_time'] = res['per_object']['cpu_seconds'] / max(res['batched']['cpu_seconds'], 1e-9)
    out['miou_between'] = 100.0 * float(np.mean(ious)) if ious else float('nan')
    out['max_abs_diff'] = max_diff
    optimizer.strategy = 'batched'
    return out
