"""``wsl bench faster-rcnn-source-only``: the domain-shift baseline on the synthetic shapes data."""
import os.path as osp

from wsl.benchmarks import register_benchmark
from wsl.benchmarks.common import shapes_data, train_and_test

CONFIG = 'faster_rcnn/faster-rcnn_r18_fpn_1xb8-600it_shapes.py'
FULL_ITERS, QUICK_ITERS = 600, 300


def run_source_only(out: str, seed: int = 0, iters: int = FULL_ITERS, quiet: bool = True, num_train: int = 200,
                    num_test: int = 100) -> dict:
    """Train Faster R-CNN on shapes source; return VOC mAP@0.5 on source-test and target-test plus run info."""
    data = shapes_data(osp.join(out, 'data', f'shapes-{num_train}-{num_test}'), num_train=num_train, num_test=num_test)
    work_dir = osp.join(out, f'faster-rcnn_seed{seed}')
    metrics, info = train_and_test(CONFIG, work_dir, data, iters, seed=seed, quiet=quiet)
    src, tgt = metrics['val/pascal_voc/mAP'], metrics['test/pascal_voc/mAP']
    return dict(config=CONFIG, seed=seed, iters=iters, source_test_map50=src, target_test_map50=tgt,
                domain_gap=src - tgt, sec_per_iter=info['sec_per_iter'], checkpoint=info['checkpoint'],
                work_dir=work_dir, data_root=data)


@register_benchmark('faster-rcnn-source-only')
def faster_rcnn_source_only(quick: bool = False, seed: int = 0, out: str = 'work_dirs/bench') -> dict:
    """Faster R-CNN R-18 FPN trained on shapes source: VOC mAP@0.5 on source-test and target-test."""
    r = run_source_only(out, seed=seed, iters=QUICK_ITERS if quick else FULL_ITERS)
    print(f"\n| train domain | test domain | mAP@0.5 |\n|---|---|---|\n| source | source-test | "
          f"{r['source_test_map50']:.4f} |\n| source | target-test | {r['target_test_map50']:.4f} |\n"
          f"({r['iters']} iterations, {r['sec_per_iter']:.2f} s/it, seed {seed})")
    return {k: r[k] for k in ('config', 'seed', 'iters', 'source_test_map50', 'target_test_map50', 'domain_gap',
                              'sec_per_iter')}
