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
4. Baselines on the same images: filled boxes, OpenCV GrabCut, and box + dense CRF with exactly BBAM's
   post-processing settings (the control for step 3): the filled box as the map through the whole pipeline, and
   every box through BBAM's zero-map fallback (box prior 0.7-0.95 + CRF).
5. Downstream: the shapes DeepLab-v2 (``configs/bbam/bbam-deeplab_r18-d8_1xb8-600it_shapes.py``) trained on the
   BBAM labels and, for comparison, on filled-box labels of the same images, and the deeplab-pytorch setting
   (``..._shapes_msc-crf.py``: MSC training, test-time dense CRF, also scored without it) on the BBAM labels;
   semantic mIoU on the exact masks of the source-TEST images.
"""
import copy
import json
import os
import os.path as osp
from typing import Dict, Optional, Sequence

from wsl.benchmarks import register_benchmark
from wsl.demo import DETECTION_FULL_ITERS as DEMO_FULL_DETECTOR_ITERS  # the BBAM demo reuses that checkpoint

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
# box + CRF rows: name -> ``start`` of wsl.segmentation.pseudo_masks.box_crf_masks
BOX_CRF_ROWS = {'filled boxes + BBAM post-processing (CRF)': 'box', 'box prior + CRF (zero-map fallback)': 'prior'}


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


def shapes_postprocess_config(post_overrides: Optional[dict] = None) -> dict:
    """The code-parity post-processing with the shapes pixel sizes (blur, CRF bilateral sxy), plus overrides."""
    from wsl.segmentation.pseudo_masks.crf import CRF_DEFAULTS
    from wsl.segmentation.pseudo_masks.postprocess import postprocess_config

    post = dict(SHAPES_POSTPROCESS, **(post_overrides or {}))
    post.setdefault('crf', dict(CRF_DEFAULTS, **SHAPES_CRF))
    return postprocess_config('code-parity', **post)


def score_maps(maps_dir: str, voc_root: str, out: str, post_overrides: dict) -> dict:
    """Post-process BBAM maps into pseudo labels and score them against the exact shapes masks."""
    from wsl.datasets.synthetic.shapes import SHAPES_CLASSES
    from wsl.segmentation.pseudo_masks.evaluate import evaluate_label_dir
    from wsl.segmentation.pseudo_masks.make_labels import make_labels_config, make_pseudo_labels

    cfg = make_labels_config('code-parity', 'bbam', 'none')
    cfg['postprocess'] = shapes_postprocess_config(post_overrides)
    make_pseudo_labels(maps_dir, out, cfg, progress=False)
    return evaluate_label_dir(out, voc_root, SHAPES_CLASSES)


def baseline_rows(voc_root: str, ids: Sequence[str]) -> Dict[str, dict]:
    """Filled boxes, GrabCut and the box + CRF rows (BBAM's shapes post-processing) on the images ``ids``."""
    from wsl.datasets.synthetic.shapes import SHAPES_CLASSES
    from wsl.segmentation.pseudo_masks.evaluate import baseline_mask_fns, box_crf_mask_fn, evaluate_masks_on_voc

    rows = {}
    for name, fn in baseline_mask_fns().items():
        rows[{'box': 'filled boxes', 'grabcut': 'GrabCut'}[name]] = evaluate_masks_on_voc(voc_root, ids, fn,
                                                                                          SHAPES_CLASSES)
    post = shapes_postprocess_config()
    for name, start in BOX_CRF_ROWS.items():
        rows[name] = evaluate_masks_on_voc(voc_root, ids, box_crf_mask_fn(post, start), SHAPES_CLASSES)
    return rows


def run_bbam(out: str, quick: bool = True, seed: int = 0) -> Dict[str, dict]:
    """Train the detector, generate and score every variant and the baselines; ``{row: metrics}``."""
    from wsl.benchmarks.faster_rcnn_source_only import FULL_ITERS, QUICK_ITERS, run_source_only
    from wsl.datasets.synthetic.shapes import image_id

    # full: the paper's optimisation (300 Adam steps, 1000 jitters per box) on 30 images (~55 objects): about
    # 14 s per mask on one CPU core (batched), four map sets -> about 50 min
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
    ids = [image_id('train', i) for i in range(num_images)]
    rows: Dict[str, dict] = baseline_rows(voc, ids)
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


MSC_CRF_CONFIG = 'bbam/bbam-deeplab_r18-d8_1xb8-600it_shapes_msc-crf.py'


def train_downstream(bbam_labels: str, voc: str, data_root: str, ids, out: str, quick: bool, seed: int) -> dict:
    """DeepLab-v2 on BBAM labels vs on filled-box labels of the same images, plus the deeplab-pytorch setting (MSC
    training, test-time CRF; also scored without the CRF) on the BBAM labels: rows with the test mIoU.

    Each row is cached in its work folder (``row.json``, keyed by labels, image ids, config, iterations and seed),
    so a rerun of the benchmark skips finished trainings."""
    from wsl.datasets.synthetic.shapes import SHAPES_CLASSES
    from wsl.segmentation.downstream import SEMANTIC_CONFIG, train_downstream_shapes, write_label_dir

    iters = 150 if quick else 600
    box_labels = osp.join(out, f'bbam_seed{seed}', 'labels_filled_boxes')
    write_label_dir(voc, ids, box_labels, 'box', SHAPES_CLASSES)
    rows = {}
    for name, labels, config in (('downstream DeepLab on filled boxes', box_labels, SEMANTIC_CONFIG),
                                 ('downstream DeepLab on BBAM', bbam_labels, SEMANTIC_CONFIG),
                                 ('downstream DeepLab (MSC + test CRF) on BBAM', bbam_labels, MSC_CRF_CONFIG)):
        work = osp.join(out, f'bbam_seed{seed}', row_key(name))
        key = dict(labels=osp.abspath(labels), images=sorted(ids), config=config, iters=iters, seed=seed)
        cached = osp.join(work, 'row.json')
        if osp.isfile(cached):
            with open(cached) as f:
                saved = json.load(f)
            if saved.get('key') == key:
                rows[name] = saved['row']
                continue
        r = train_downstream_shapes(labels, data_root, work, iters=iters, seed=seed, instance=False,
                                    semantic_config_name=config)
        rows[name] = dict(test_mIoU=r['semantic/mIoU'], train_images=r['train_images'],
                          test_images=r['test_images'], iters=iters)
        if 'semantic_no_crf/mIoU' in r:
            rows[name]['test_mIoU_no_crf'] = r['semantic_no_crf/mIoU']
        with open(cached, 'w') as f:
            json.dump(dict(key=key, row=rows[name]), f, indent=1)
    return rows


def row_key(name: str) -> str:
    """A table row name as a metric key: 'bbam (box + cls), no CRF' -> 'bbam_box_and_cls_no_CRF'."""
    return name.replace(' ', '_').replace('(', '').replace(')', '').replace('+', 'and').replace(',', '')


@register_benchmark('bbam')
def bbam_benchmark(quick: bool = False, seed: int = 0, out: str = 'work_dirs/bench') -> dict:
    """BBAM pseudo masks (ablations) vs filled boxes and GrabCut on shapes: pseudo-label mIoU and ABO."""
    rows = run_bbam(out, quick=quick, seed=seed)
    down = {k: rows.pop(k) for k in list(rows) if k.startswith('downstream')}
    print('\n| pseudo masks | mIoU | ABO | s/mask |\n|---|---|---|---|')
    for name, r in rows.items():
        spm = f"{r['sec_per_mask']:.1f}" if 'sec_per_mask' in r else '–'
        print(f"| {name} | {100 * r['mIoU']:.1f} | {100 * r['ABO']:.1f} | {spm} |")
    print('\n| downstream semantic network | test mIoU | without the test CRF |\n|---|---|---|')
    for name, r in down.items():
        no_crf = f"{100 * r['test_mIoU_no_crf']:.1f}" if 'test_mIoU_no_crf' in r else '–'
        print(f"| {name} ({r['train_images']} train images, {r['iters']} it) | {100 * r['test_mIoU']:.1f} | {no_crf} |")
    first = next(iter(rows.values()))
    print(f"({first.get('images')} shapes source-train images, {first.get('instances')} objects; detector "
          f"source-test mAP@0.5 {first['detector_source_map50']:.3f}; seed {seed})")
    summary = dict(seed=seed, quick=quick)
    for name, r in rows.items():
        summary[f'{row_key(name)}/mIoU'] = float(r['mIoU'])
        summary[f'{row_key(name)}/ABO'] = float(r['ABO'])
    summary['bbam_beats_filled_boxes'] = rows['bbam (box + cls)']['mIoU'] > rows['filled boxes']['mIoU']
    summary['bbam_beats_box_crf'] = rows['bbam (box + cls)']['mIoU'] > max(rows[k]['mIoU'] for k in BOX_CRF_ROWS)
    for name, r in down.items():
        summary[row_key(name) + '/test_mIoU'] = float(r['test_mIoU'])
        if 'test_mIoU_no_crf' in r:
            summary[row_key(name) + '/test_mIoU_no_crf'] = float(r['test_mIoU_no_crf'])
    return summary


# ``wsl demo`` section: (images, Adam steps, jittered proposals per box) in quick and full mode
DEMO_SETTINGS = {True: (6, 60, 200), False: (12, 300, 1000)}


def demo_detector(out_dir: str, quick: bool) -> dict:
    """The demo's shapes detector: the detection section's checkpoint under ``out_dir/detection`` when it exists,
    else trained there the same way (source-only Faster R-CNN, seed 0, 200/100 images).

    Returns:
        dict: ``checkpoint``, ``data_root``, ``iters``, ``trained`` (False: reused) and, when trained here,
        ``source_test_map50``.
    """
    from wsl.benchmarks.common import shapes_data
    from wsl.benchmarks.faster_rcnn_source_only import QUICK_ITERS, run_source_only

    iters = QUICK_ITERS if quick else DEMO_FULL_DETECTOR_ITERS
    work = osp.join(out_dir, 'detection')
    ckpt = osp.join(work, 'faster-rcnn_seed0', f'iter_{iters}.pth')  # run_source_only's layout
    if osp.isfile(ckpt):
        data_root = shapes_data(osp.join(work, 'data', 'shapes-200-100'))  # (re)made only if missing
        return dict(checkpoint=ckpt, data_root=data_root, iters=iters, trained=False)
    r = run_source_only(work, seed=0, iters=iters)
    return dict(checkpoint=r['checkpoint'], data_root=r['data_root'], iters=iters, trained=True,
                source_test_map50=r['source_test_map50'])


def demo_figures(maps_dir: str, out_dir: str, post_cfg: dict, num: int = 2) -> list:
    """The paper's Figure 5 for the ``num`` images of ``maps_dir`` with the most boxes (ties: first id).

    Returns:
        list[str]: the PNG paths ``out_dir/bbam_fig5_<img_id>.png``.
    """
    from wsl.segmentation.pseudo_masks import (bbam_figure, list_map_files, load_bbam_npz, load_meta,
                                               postprocess_image, read_image)

    classes = load_meta(maps_dir)['classes']
    data = [load_bbam_npz(f, len(classes)) for f in list_map_files(maps_dir)]
    paths = []
    for d in sorted(data, key=lambda d: (-len(d['boxes']), d['img_id']))[:num]:
        image = read_image(d['img_path'], d['ori_shape'])
        res = postprocess_image(d['maps'], d['boxes'], image, post_cfg)
        paths.append(osp.join(out_dir, f"bbam_fig5_{d['img_id']}.png"))
        bbam_figure(image, d['boxes'], d['maps'], res['strict'], res['loose'], d['labels'], classes,
                    out_path=paths[-1], title=f"shapes source-train {d['img_id']}")
    return paths


def bbam_section(out_dir: str, quick: bool):
    """``wsl demo`` section: BBAM maps of a few shapes images, Figure 5 and pseudo-mask mIoU vs box baselines.

    Reuses the detection section's detector (:func:`demo_detector`); the maps are made afresh in every run.
    Quick mode: 6 images, 60 Adam steps, 200 jitters (about a minute on two idle cores once the detector exists).
    """
    import shutil

    from wsl.datasets.synthetic.shapes import image_id
    from wsl.demo import DemoSection

    num_images, steps, jitters = DEMO_SETTINGS[bool(quick)]
    det = demo_detector(out_dir, quick)
    voc = osp.join(det['data_root'], 'source')
    ids = [image_id('train', i) for i in range(num_images)]
    work = osp.join(out_dir, 'bbam')
    shutil.rmtree(work, ignore_errors=True)  # the maps must come from this run's detector
    gen = generate_maps(det['checkpoint'], voc, osp.join(work, 'maps'), num_images, steps, jitters, {}, seed=0)
    rows = baseline_rows(voc, ids)
    rows['BBAM + post-processing (CRF)'] = score_maps(gen['maps_dir'], voc, osp.join(work, 'labels'), {})
    figs = demo_figures(gen['maps_dir'], out_dir, shapes_postprocess_config())
    spm = gen['seconds'] / max(gen['objects'], 1)
    det_text = (f"trained here, source-test mAP@0.5 {det['source_test_map50']:.3f}" if det['trained']
                else 'the Detection section\'s checkpoint')
    md = (f"BBAM (bounding box attribution map): for every GT box, a coarse mask M is optimised (projected Adam) so "
          f"that the detector run on image × M, with jittered copies of the box as RoIs, keeps its class score and "
          f"box regression while M stays small. Detector: shapes Faster R-CNN R-18 FPN, {det['iters']} iterations "
          f"({det_text}). Maps for the {gen['objects']} objects of the first {num_images} shapes source-train images "
          f"({steps} Adam steps, {jitters} jittered proposals per box, code-parity objective, "
          f"{spm:.1f} s per mask here); post-processing: the official quantile thresholds (0.85 strict / 0.2 loose), "
          f"Gaussian blur, dense CRF (pixel sizes scaled to 128-px images). Pseudo-label mIoU (5 classes incl. "
          f"background, ignore band skipped) and ABO against the exact masks of the same images:\n\n"
          f"| pseudo masks | mIoU | ABO |\n|---|---|---|\n")
    for name, r in rows.items():
        md += f"| {name} | {100 * r['mIoU']:.1f} | {100 * r['ABO']:.1f} |\n"
    md += ("\nThe box + CRF rows use the same post-processing and CRF settings as BBAM: the filled box as the map, "
           "or every box through BBAM's zero-map fallback (box prior 0.7–0.95 + CRF); the difference between them and "
           "the BBAM row is what the attribution map adds. GrabCut's colour model suits these flat-coloured shapes. "
           "(a) GT boxes, (b) each box's BBAM in the box's colour, (c) strict pseudo masks, ignore band "
           "hatched:\n\n")
    md += ''.join(f'![BBAM figure]({osp.basename(p)})\n\n' for p in figs)
    metrics = {f'{row_key(n)}/{m}': float(r[m]) for n, r in rows.items() for m in ('mIoU', 'ABO')}
    metrics.update(objects=int(gen['objects']), sec_per_mask=round(spm, 2))
    return DemoSection('Segmentation: BBAM pseudo masks on shapes', md, figs, metrics)
