"""``wsl demo``: train and evaluate on the built-in synthetic data and write a Markdown report with figures.

Each method contributes a section: a function ``section(out_dir, quick) -> DemoSection`` registered with
:func:`register_section`. Sections run in registration order; the report is ``<out>/report.md`` and the
figures sit next to it.
"""
import datetime
import json
import os
import os.path as osp
import platform
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import torch

from wsl.version import __version__


@dataclass
class DemoSection:
    """What a demo section reports: a title, Markdown text (tables), figure paths and flat metrics."""

    title: str
    markdown: str
    figures: List[str] = field(default_factory=list)
    metrics: Dict[str, float] = field(default_factory=dict)


_SECTIONS: Dict[str, Callable[[str, bool], DemoSection]] = {}
DETECTION_FULL_ITERS = 400  # the detection section's full schedule; the BBAM section reuses its checkpoint


def register_section(name: str) -> Callable:
    """Register ``fn(out_dir, quick) -> DemoSection`` as the demo section ``name``."""

    def deco(fn):
        _SECTIONS[name] = fn
        return fn

    return deco


def _detection_section(out_dir: str, quick: bool) -> DemoSection:
    """Faster R-CNN trained on shapes source, tested on source and target (the domain gap)."""
    from wsl.benchmarks.faster_rcnn_source_only import QUICK_ITERS
    return detection_section(out_dir, iters=QUICK_ITERS if quick else DETECTION_FULL_ITERS)


def detection_section(out_dir: str, iters: int, num_train: int = 200, num_test: int = 100) -> DemoSection:
    """The source-only detection section with an explicit schedule and data size."""
    from wsl.apis import init_model
    from wsl.benchmarks.common import voc_detections
    from wsl.benchmarks.faster_rcnn_source_only import run_source_only
    from wsl.visualization import draw_detection_grid, plot_curves

    r = run_source_only(osp.join(out_dir, 'detection'), seed=0, iters=iters, num_train=num_train,
                        num_test=num_test)
    model = init_model(osp.join(r['work_dir'], 'config.py'), r['checkpoint'])
    classes = model.dataset_meta['classes']
    images, gts, preds, titles = [], [], [], []
    for dom in ('source', 'target'):
        root = osp.join(r['data_root'], dom)
        with open(osp.join(root, 'ImageSets', 'Main', 'test.txt')) as f:
            ids = [line.strip() for line in f if line.strip()][:4]
        for part, new in zip((images, gts, preds), voc_detections(model, root, ids)):
            part.extend(new)
        titles += [f'{dom} {img_id}' for img_id in ids]
    fig_det = draw_detection_grid(images, gts, preds, classes, osp.join(out_dir, 'detection_examples.png'),
                                  titles=titles)
    fig_loss = plot_curves({'faster-rcnn (source)': r['work_dir']}, ('loss', 'loss_cls', 'loss_bbox'),
                           osp.join(out_dir, 'detection_loss.png'))
    md = ('Faster R-CNN (ResNet-18 FPN, random init) trained with boxes on the **source** domain of the synthetic '
          'shapes data, evaluated with VOC mAP@0.5 (area) on the test split of each domain. The drop on the target '
          'domain is the domain shift that H²FA R-CNN attacks with target image-level labels.\n\n'
          '| train | test | mAP@0.5 |\n|---|---|---|\n'
          f"| source | source-test | {r['source_test_map50']:.4f} |\n"
          f"| source | target-test | {r['target_test_map50']:.4f} |\n\n"
          f"{r['iters']} iterations, {r['sec_per_iter']:.2f} s/iteration, config `configs/{r['config']}`.\n\n"
          f'![detections]({osp.basename(fig_det)})\n\nGreen dashed: ground truth; red: predictions with score ≥ '
          f'0.5 (top row source, bottom row target).\n\n![loss]({osp.basename(fig_loss)})\n')
    metrics = dict(source_test_map50=r['source_test_map50'], target_test_map50=r['target_test_map50'])
    return DemoSection('Detection: source-only Faster R-CNN on shapes', md, [fig_det, fig_loss], metrics)


register_section('detection')(_detection_section)


def _bbam_section(out_dir: str, quick: bool) -> DemoSection:
    """BBAM pseudo masks on shapes (reusing the detection section's detector): Figure 5 and mIoU vs baselines."""
    from wsl.benchmarks.bbam import bbam_section
    return bbam_section(out_dir, quick)


register_section('bbam')(_bbam_section)


def _h2fa_section(out_dir: str, quick: bool) -> DemoSection:
    """H²FA R-CNN vs source-only on the shapes target domain: table, detections, Figure B.2 heat maps."""
    from wsl.benchmarks.h2fa import h2fa_section
    return h2fa_section(out_dir, quick)


register_section('h2fa')(_h2fa_section)


def _r2d2_section(out_dir: str, quick: bool) -> DemoSection:
    """R2D2 features: MMA on warped held-out photos, the matches figure, localization on a generated scene."""
    from wsl.localization.r2d2.demo import r2d2_section
    return r2d2_section(out_dir, quick)


register_section('r2d2')(_r2d2_section)


def _d2net_section(out_dir: str, quick: bool) -> DemoSection:
    """D2-Net vs cross-entropy on synthetic W-TALC features: mAP table and TCAM figure."""
    from wsl.benchmarks.d2net import d2net_section
    return d2net_section(out_dir, quick)


register_section('d2net')(_d2net_section)


def _nefes_section(out_dir: str, quick: bool) -> DemoSection:
    """NeFeS refinement on the synthetic room: error table, trajectories and feature maps."""
    from wsl.benchmarks.nefes import nefes_section
    return nefes_section(out_dir, quick)


register_section('nefes')(_nefes_section)


def run_demo(out_dir: str = 'work_dirs/demo', quick: bool = False, sections: Optional[Sequence[str]] = None) -> dict:
    """Run the demo sections and write ``<out_dir>/report.md``; return ``{section: metrics}``."""
    names = list(sections) if sections else list(_SECTIONS)
    unknown = [n for n in names if n not in _SECTIONS]
    if unknown:
        raise KeyError(f'unknown demo sections {unknown}; available: {list(_SECTIONS)}')
    os.makedirs(out_dir, exist_ok=True)
    done: List[DemoSection] = []
    results: Dict[str, dict] = {}
    t0 = time.perf_counter()
    for name in names:
        t = time.perf_counter()
        sec = _SECTIONS[name](out_dir, quick)
        sec.metrics['seconds'] = round(time.perf_counter() - t, 1)
        done.append(sec)
        results[name] = sec.metrics
    lines = [f'# wsl demo report\n', f'wsl {__version__}, torch {torch.__version__}, {platform.machine()} '
             f'({os.cpu_count()} CPUs), {datetime.datetime.now():%Y-%m-%d %H:%M}, '
             f'{"quick" if quick else "full"} mode, {time.perf_counter() - t0:.0f} s in all.\n']
    lines += ['| section | metric | value |', '|---|---|---|']
    for name, sec in zip(names, done):
        for k, v in sec.metrics.items():
            lines.append(f'| {name} | {k} | {v:.4f} |' if isinstance(v, float) else f'| {name} | {k} | {v} |')
    for sec in done:
        lines += ['', f'## {sec.title}', '', sec.markdown]
    report = osp.join(out_dir, 'report.md')
    with open(report, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(osp.join(out_dir, 'metrics.json'), 'w') as f:
        json.dump(results, f, indent=2)
    print(f'\nreport: {report}')
    return results
