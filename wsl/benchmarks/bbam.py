"""``wsl bench bbam``: BBAM pseudo masks vs box baselines on the synthetic shapes data (exact masks known).

1. A Faster R-CNN R-18 FPN is trained on the shapes SOURCE boxes (the source-only detector of
   ``faster-rcnn-source-only``).
2. BBAM maps are optimised for the GT boxes of the first source-TRAIN images with the shapes BBAM config
   (``configs/bbam/bbam_faster-rcnn_r18_fpn_1xb8-600it_shapes.py``: code-parity objective, strides scaled to
   128-px images), for the ablations: both heads, box head only (1_cls = 0), class head only (1_box = 0), and a
   fixed stride.
3. Each map set is post-processed (code-parity quantile thresholds, blur and dense CRF with their pixel sizes
   scaled to 128-px images like the stride; "no CRF" skips it) into pseudo labels, scored against the exact masks:
   semantic pseudo-label mIoU (5 classes incl. background, ignore pixels skipped) and instance ABO.
4. Baselines on the same images: filled boxes and OpenCV GrabCut.
5. Downstream: the shapes DeepLab-v2 (``configs/bbam/bbam-deeplab_r18-d8_1xb8-600it_shapes.py``) trained on the
   BBAM labels and, for comparison, on filled-box labels of the same images; semantic mIoU on the exact masks of
   the source-TEST images.
"""
import copy
import json
import os
import os.path as osp
from typing import Dict

from wsl.benchmarks import register_benchmark

CONFIG = 'bbam/bbam_faster-rcnn_r18_fpn_1xb8-600it_shapes.py'
# Pixel sizes of the post-processing scaled to 128-px images as the shapes config scales the stride (1/4):
# blur k = int(4 + 12 sqrt(a)) instead of int(16 + 48 sqrt(a)); CRF bilateral sxy 80 -> 20.
SHAPES_POSTPROCESS = dict(blur_base=4.0, blur_scale=12.0)
SHAPES_CRF = dict(bilateral_sxy=20.0)
# name -> (bbam overrides, post-processing overrides)
VARIANTS = {
    'bbam (box + cls)': ({}, {}),
    'bbam box head only': (dict(loss=dict(use_cls=False)), {}),
    'bbam cls head only': (dict(loss=dict(use_box=False)), {}),
    'bbam fixed stride': (dict(stride_mode='fixed', fixed_stride=48.0 / 4), {}),
    'bbam (box + cls), no CRF': ({}, dict(crf=None)),
}


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def generate_maps(checkpoint: str, voc_root: str, out: str, num_images: int, steps: int, num_jitters: int,
                  bbam_overrides: dict, seed: int) -> dict:
    """BBAM maps of the first ``num_images`` train images of ``voc_root`` (resumable: existing maps are kept)."""
    from mmengine.config import Config

    from wsl.segmentation.bbam.generate import build_from_config, generate_bbam_maps
    from wsl.utils import find_config

    cfg = Config.fromfile(find_config(CONFIG))
    cfg.bbam_dataset.data_root = voc_root.rstrip('/') + '/'
    over = _merge(dict(num_steps=steps, sampler=dict(num_jitters=num_jitters), seed=seed), bbam_overrides)
    cfg.bbam = _merge(cfg.bbam.to_dict(), over)
    optimizer, dataset = build_from_config(cfg, checkpoint, device='cpu')
    return generate_bbam_maps(optimizer, dataset, out, limit=num_images, seed=seed, meta=dict(bbam=cfg.bbam),
                              progress=True)


def score_maps(maps_dir: str, voc_root: str, out: str, post_overrides: dict) -> dict:
    """Post-process BBAM maps into pseudo labels and score them against the exact shapes masks."""
    from wsl.datasets.synthetic.shapes import SHAPES_CLASSES
    from wsl.segmentation.pseudo_masks.evaluate import evaluate_label_dir
    from wsl.segmentation.pseudo_masks.make_labels import make_labels_config, make_pseudo_labels
    from wsl.segmentation.pseudo_masks.postprocess import postprocess_config

    cfg = make_labels_config('code-parity', 'bbam', 'none')
    post = dict(SHAPES_POSTPROCESS, **post_overrides)
    if 'crf' not in post_overrides:
        post['crf'] = dict(cfg['postprocess']['crf'], **SHAPES_CRF)
    cfg['postprocess'] = postprocess_config('code-parity', **post)
    make_pseudo_labels(maps_dir, out, cfg, progress=False)
    return evaluate_label_dir(out, voc_root, SHAPES_CLASSES)


def run_bbam(out: str, quick: bool = True, seed: int = 0) -> Dict[str, dict]:
    """Train the detector, generate and score every variant and the baselines; ``{row: metrics}``."""
    from wsl.benchmarks.faster_rcnn_source_only import FULL_ITERS, QUICK_ITERS, run_source_only
    from wsl.datasets.synthetic.shapes import SHAPES_CLASSES, image_id
    from wsl.segmentation.pseudo_masks.evaluate import baseline_mask_fns, evaluate_masks_on_voc

    num_images, steps, jitters = (6, 60, 200) if quick else (30, 300, 1000)
    iters = QUICK_ITERS if quick else FULL_ITERS
    record = osp.join(out, f'bbam_seed{seed}', f'detector_{iters}it.json')
    if osp.isfile(record):  # a finished detector of an earlier (interrupted) run: reuse it
        with open(record) as f:
            det = json.load(f)
    else:
        det = run_source_only(out, seed=seed, iters=iters)
        os.makedirs(osp.dirname(record), exist_ok=True)
        with open(record, 'w') as f:
            json.dump({k: det[k] for k in ('checkpoint', 'data_root', 'source_test_map50')}, f)
    voc = osp.join(det['data_root'], 'source')
    rows: Dict[str, dict] = {}
    ids = [image_id('train', i) for i in range(num_images)]
    for name, fn in baseline_mask_fns().items():
        rows[{'box': 'filled boxes', 'grabcut': 'GrabCut'}[name]] = evaluate_masks_on_voc(voc, ids, fn, SHAPES_CLASSES)
    maps, label_dirs = {}, {}
    for name, (bbam_over, post_over) in VARIANTS.items():
        key = repr(sorted(bbam_over.items()))
        if key not in maps:
            tag = f'maps_{len(maps)}'
            gen = generate_maps(det['checkpoint'], voc, osp.join(out, f'bbam_seed{seed}', tag), num_images, steps,
                                jitters, bbam_over, seed)
            maps[key] = (gen['maps_dir'], gen)
        maps_dir, gen = maps[key]
        label_dirs[name] = osp.join(out, f'bbam_seed{seed}', f'labels_{len(rows)}')
        rows[name] = score_maps(maps_dir, voc, label_dirs[name], post_over)
        rows[name]['sec_per_mask'] = gen['seconds'] / max(gen['objects'], 1)
    rows.update(train_downstream(label_dirs['bbam (box + cls)'], voc, det['data_root'], ids, out, quick, seed))
    for r in rows.values():
        r['detector_source_map50'] = det['source_test_map50']
    return rows


def train_downstream(bbam_labels: str, voc: str, data_root: str, ids, out: str, quick: bool, seed: int) -> dict:
    """DeepLab-v2 on BBAM labels vs on filled-box labels of the same images: rows with the test mIoU."""
    from wsl.datasets.synthetic.shapes import SHAPES_CLASSES
    from wsl.segmentation.downstream import train_downstream_shapes, write_label_dir

    iters = 150 if quick else 600
    box_labels = osp.join(out, f'bbam_seed{seed}', 'labels_filled_boxes')
    write_label_dir(voc, ids, box_labels, 'box', SHAPES_CLASSES)
    rows = {}
    for name, labels in (('downstream DeepLab on filled boxes', box_labels),
                         ('downstream DeepLab on BBAM', bbam_labels)):
        r = train_downstream_shapes(labels, data_root, osp.join(out, f'bbam_seed{seed}', name.replace(' ', '_')),
                                    iters=iters, seed=seed, instance=False)
        rows[name] = dict(test_mIoU=r['semantic/mIoU'], train_images=r['train_images'],
                          test_images=r['test_images'], iters=iters)
    return rows


@register_benchmark('bbam')
def bbam_benchmark(quick: bool = False, seed: int = 0, out: str = 'work_dirs/bench') -> dict:
    """BBAM pseudo masks (ablations) vs filled boxes and GrabCut on shapes: pseudo-label mIoU and ABO."""
    rows = run_bbam(out, quick=quick, seed=seed)
    down = {k: rows.pop(k) for k in list(rows) if k.startswith('downstream')}
    print('\n| pseudo masks | mIoU | ABO | s/mask |\n|---|---|---|---|')
    for name, r in rows.items():
        spm = f"{r['sec_per_mask']:.1f}" if 'sec_per_mask' in r else '–'
        print(f"| {name} | {100 * r['mIoU']:.1f} | {100 * r['ABO']:.1f} | {spm} |")
    print('\n| downstream semantic network | test mIoU |\n|---|---|')
    for name, r in down.items():
        print(f"| {name} ({r['train_images']} train images, {r['iters']} it) | {100 * r['test_mIoU']:.1f} |")
    first = next(iter(rows.values()))
    print(f"({first.get('images')} shapes source-train images, {first.get('instances')} objects; detector "
          f"source-test mAP@0.5 {first['detector_source_map50']:.3f}; seed {seed})")
    summary = dict(seed=seed, quick=quick)
    for name, r in rows.items():
        key = name.replace(' ', '_').replace('(', '').replace(')', '').replace('+', 'and').replace(',', '')
        summary[f'{key}/mIoU'] = float(r['mIoU'])
        summary[f'{key}/ABO'] = float(r['ABO'])
    summary['bbam_beats_filled_boxes'] = rows['bbam (box + cls)']['mIoU'] > rows['filled boxes']['mIoU']
    for name, r in down.items():
        summary[name.replace(' ', '_') + '/test_mIoU'] = float(r['test_mIoU'])
    return summary

