"""``wsl bench bbam-speed``: BBAM masks per second, batched vs the official per-object loop, on shapes.

The detector is the Faster R-CNN R-18 FPN of ``wsl bench faster-rcnn-source-only`` trained on the shapes source
domain: ``OUT/faster-rcnn_seed{seed}/iter_300.pth`` is reused when present, otherwise it is trained here (300
iterations, several CPU minutes). BBAM labels the first source-train images with both strategies (same detector,
jitters and steps) and reports speed, peak memory, the IoU between the two strategies' binarised maps and each
strategy's mIoU against the exact instance masks.
"""
import os.path as osp

from wsl.benchmarks import register_benchmark

CONFIG = 'bbam/bbam_faster-rcnn_r18_fpn_1xb8-600it_shapes.py'
DETECTOR_ITERS = 300
QUICK = dict(images=4, num_steps=30, num_jitters=200)
FULL = dict(images=8, num_steps=100, num_jitters=1000)


def shapes_detector(out: str, seed: int = 0) -> dict:
    """The shapes source-only detector under ``out``: reuse ``iter_300.pth`` or train it."""
    work_dir = osp.join(out, f'faster-rcnn_seed{seed}')
    data = osp.join(out, 'data', 'shapes-200-100')
    ckpt = osp.join(work_dir, f'iter_{DETECTOR_ITERS}.pth')
    if osp.isfile(ckpt) and osp.isdir(osp.join(data, 'source')):
        return dict(checkpoint=ckpt, data_root=data, trained_here=False)
    from wsl.benchmarks.faster_rcnn_source_only import run_source_only
    r = run_source_only(out, seed=seed, iters=DETECTOR_ITERS)
    return dict(checkpoint=r['checkpoint'], data_root=r['data_root'], trained_here=True)


def run_bbam_speed(out: str, quick: bool = True, seed: int = 0, device: str = 'cpu') -> dict:
    """Build the shapes BBAM setup and compare the strategies; returns the flat result dict."""
    import torch
    from mmengine.config import Config

    from wsl.datasets.synthetic.shapes import load_voc_instances
    from wsl.segmentation.bbam import build_from_config
    from wsl.segmentation.bbam.speed import compare_strategies
    from wsl.utils import find_config

    p = QUICK if quick else FULL
    det = shapes_detector(out, seed)
    cfg = Config.fromfile(find_config(CONFIG))
    voc_root = osp.join(det['data_root'], 'source')
    cfg.bbam_dataset.data_root = voc_root + '/'
    cfg.bbam.num_steps = p['num_steps']
    cfg.bbam.sampler.num_jitters = p['num_jitters']
    torch.manual_seed(seed)
    optimizer, dataset = build_from_config(cfg, det['checkpoint'], device)
    indices = list(range(min(p['images'], len(dataset))))
    gt = {}
    for i in indices:
        img_id = str(dataset.get_data_info(i)['img_id'])
        gt[img_id] = load_voc_instances(voc_root, img_id)['masks']
    r = compare_strategies(optimizer, dataset, indices, seed=seed, keep_ignored=bool(cfg.bbam.keep_ignored),
                           gt_masks=gt)
    r.update(config=CONFIG, device=device, seed=seed, num_jitters=p['num_jitters'],
             torch_threads=torch.get_num_threads(), detector_trained_here=det['trained_here'])
    return r


@register_benchmark('bbam-speed')
def bbam_speed(quick: bool = False, seed: int = 0, out: str = 'work_dirs/bench') -> dict:
    """BBAM batched vs per-object: masks/s, peak memory, agreement of the maps, mIoU against GT masks."""
    import torch
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    r = run_bbam_speed(out, quick=quick, seed=seed, device=device)
    print("\n| strategy | masks/s | s/mask | peak mem (MiB) | mIoU vs GT (%) |\n|---|---|---|---|---|")
    for s in ('per_object', 'batched'):
        print(f"| {s} | {r[f'{s}_masks_per_s']:.3f} | {r[f'{s}_sec_per_mask']:.2f} | {r[f'{s}_peak_mem_mb']:.0f} | "
              f"{r[f'{s}_miou_gt']:.2f} |")
    print(f"speed-up {r['speedup']:.2f}x wall clock, {r['speedup_cpu_time']:.2f}x process CPU time; IoU between "
          f"the strategies' binarised maps {r['miou_between']:.2f} % (max |diff| {r['max_abs_diff']:.4f}); "
          f"{r['optimised']}/{r['objects']} objects with positives, {r['images']} images, {r['num_steps']} steps, "
          f"{r['num_jitters']} jitters, {device}, {r['torch_threads']} threads")
    return r
