"""Generate BBAMs for a dataset: `python tools/bbam_generate.py CONFIG CHECKPOINT --out DIR [options]`.

CONFIG is a BBAM config (``configs/bbam/``: the detector ``model``, the ``bbam`` hyper-parameters and the
``bbam_dataset`` to label); CHECKPOINT the trained detector (a local .pth). Writes ``DIR/maps/<img_id>.npz`` (one
per image, atomically) and ``DIR/maps/meta.json``. Rerunning the same command skips the images already written;
``--shard I/N`` processes every N-th image starting at I (run N processes, e.g. one per GPU, on the same DIR).
Prints one JSON object on the last line (images done / skipped, objects, seconds).
"""
import argparse
import json
import os.path as osp
import sys

from mmengine.config import Config, DictAction

_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if osp.isfile(osp.join(_REPO, 'wsl', '__init__.py')) and _REPO not in sys.path:
    sys.path.insert(0, _REPO)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='BBAM generation over a dataset (resumable, shardable).')
    parser.add_argument('config', help='BBAM config (model, bbam, bbam_dataset)')
    parser.add_argument('checkpoint', help='trained detector checkpoint (local .pth)')
    parser.add_argument('--out', required=True, help='output folder (maps/ is created inside)')
    parser.add_argument('--shard', default='0/1', help='I/N: process dataset indices i with i %% N == I')
    parser.add_argument('--limit', type=int, help='only the first K images of the shard')
    parser.add_argument('--device', default='cpu', help="torch device: 'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. bbam.strategy=per_object bbam.num_steps=100')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from wsl.segmentation.bbam import build_from_config, generate_bbam_maps, parse_shard

    try:
        if not (args.device == 'cpu' or args.device.startswith('cuda')):
            raise ValueError(f"--device must be 'cpu', 'cuda' or 'cuda:N', got {args.device!r}")
        if args.device.startswith('cuda'):
            import torch
            if not torch.cuda.is_available():
                raise ValueError(f'--device {args.device}: CUDA is not available on this machine')
        shard = parse_shard(args.shard)
        if args.limit is not None and args.limit < 0:
            raise ValueError(f'--limit must be >= 0, got {args.limit}')
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        optimizer, dataset = build_from_config(cfg, args.checkpoint, args.device)
        meta = dict(config=osp.abspath(args.config), checkpoint=osp.abspath(args.checkpoint),
                    bbam=cfg.bbam.to_dict())
        summary = generate_bbam_maps(optimizer, dataset, args.out, shard=shard, limit=args.limit,
                                     seed=int(cfg.bbam.get('seed', 0)),
                                     keep_ignored=bool(cfg.bbam.get('keep_ignored', True)), meta=meta,
                                     progress=not args.no_progress)
    except (OSError, ValueError, KeyError, TypeError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    summary.update(shard=args.shard, device=args.device, strategy=optimizer.strategy)
    print(json.dumps(summary))
    return 0


if __name__ == '__main__':
    sys.exit(main())
