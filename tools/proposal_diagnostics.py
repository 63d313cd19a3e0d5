"""Proposal-level diagnostics of a trained H²FA R-CNN on labelled images (why the IIR unit helps or not).

    python tools/proposal_diagnostics.py CONFIG CHECKPOINT [--ann-file ImageSets/Main/train.txt] [--data-root DIR]
        [--num-images N] [--device cpu]

Runs on the config's test dataset (its ``ann_file`` / ``data_root`` replaced when given; boxes are read from the
VOC XML) and prints one JSON object on the last line: proposal recall, recall of the top-20 by objectness, the
class accuracy of IIR's argmax assignment on the proposals that cover a box, mean objectness of covering / other
proposals, and how often the IIR loss would raise their objectness (``wsl.detection.proposal_diagnostics``).
"""
import argparse
import json
import os.path as osp
import sys

_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if osp.isfile(osp.join(_REPO, 'wsl', '__init__.py')) and _REPO not in sys.path:
    sys.path.insert(0, _REPO)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Proposal-level diagnostics of an H2FA R-CNN checkpoint.')
    parser.add_argument('config', help='H2FA R-CNN config')
    parser.add_argument('checkpoint', help='trained checkpoint')
    parser.add_argument('--ann-file', help="image list relative to the data root (default: the test set's)")
    parser.add_argument('--data-root', help="dataset root (default: the test set's)")
    parser.add_argument('--num-images', type=int, default=-1, help='first N images only (default: all)')
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--iou-thr', type=float, default=0.5)
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DefaultScope
    from tqdm import tqdm

    from wsl.apis import init_model
    from wsl.detection.proposal_diagnostics import proposal_diagnostics
    from wsl.registry import DATASETS
    from wsl.utils import register_all_modules

    register_all_modules()
    model = init_model(args.config, args.checkpoint, device=args.device)
    if not hasattr(model.rpn_head, 'predict_with_logits'):
        raise SystemExit(f"{args.config}: the model's RPN head ({type(model.rpn_head).__name__}) has no "
                         'predict_with_logits; use an H2FA R-CNN config')
    ds_cfg = dict(model.cfg.test_dataloader.dataset)
    if args.ann_file:
        ds_cfg['ann_file'] = args.ann_file
    if args.data_root:
        ds_cfg['data_root'] = args.data_root
    with DefaultScope.overwrite_default_scope(model.cfg.get('default_scope', 'wsl')):
        dataset = DATASETS.build(ds_cfg)
    n = len(dataset) if args.num_images < 0 else min(args.num_images, len(dataset))
    batches = (pseudo_collate([dataset[j] for j in range(i, min(i + args.batch_size, n))])
               for i in tqdm(range(0, n, args.batch_size), desc='proposal diagnostics'))
    stats = proposal_diagnostics(model, batches, iou_thr=args.iou_thr)
    for k, v in stats.items():
        print(f'{k:16s} {v:.4f}' if isinstance(v, float) else f'{k:16s} {v}')
    print(json.dumps(stats))
    return 0


if __name__ == '__main__':
    sys.exit(main())
