"""Train a `wsl` model: `python tools/train.py CONFIG [options]` (also run by `mim train wsl CONFIG`)."""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction

# Run from a checkout, use the checkout's `wsl` (not an older installed copy); from an installed package's
# `.mim/tools` this finds no `wsl` folder and changes nothing.
_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if osp.isfile(osp.join(_REPO, 'wsl', '__init__.py')) and _REPO not in sys.path:
    sys.path.insert(0, _REPO)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a wsl model with MMEngine\'s Runner.')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='folder for logs and checkpoints (default: ./work_dirs/<config name>)')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (AmpOptimWrapper)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by (total batch size / auto_scale_lr.base_batch_size)')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint, or without a value from the latest one in the work dir')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. train_cfg.max_iters=100 "model.backbone.depth=18"')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none', help='job launcher')
    # torch.distributed.launch (used by `mim train --launcher pytorch`) passes --local-rank.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None):
    args = parse_args(argv)
    from wsl.engine import RecordMetricsHook, build_runner, prepare_train_cfg
    from wsl.engine.launch import metrics_to_json
    from wsl.utils import register_all_modules

    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    prepare_train_cfg(cfg, args.config, work_dir=args.work_dir, amp=args.amp, auto_scale_lr=args.auto_scale_lr,
                      resume=args.resume, launcher=args.launcher)
    record = RecordMetricsHook()
    runner = build_runner(cfg, extra_hooks=[record])
    runner.train()
    if runner.rank == 0:
        print(json.dumps(metrics_to_json(record.last_val)))


if __name__ == '__main__':
    main()
