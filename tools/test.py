"""Evaluate a checkpoint: `python tools/test.py CONFIG CHECKPOINT [options]` (also `mim test wsl CONFIG --checkpoint`).

Prints the metrics as a table in the log and as one JSON object on the last line.
"""
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
    parser = argparse.ArgumentParser(description='Test a wsl checkpoint with MMEngine\'s Runner.')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='folder for the test logs (default: ./work_dirs/<config name>)')
    parser.add_argument('--out', help='also dump the raw predictions to this .pkl file')
    parser.add_argument('--show-dir', help='draw predictions into this folder (under the work dir)')
    parser.add_argument('--tta', action='store_true', help='test-time augmentation (config needs tta_model and '
                        'tta_pipeline)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None):
    args = parse_args(argv)
    from wsl.engine import build_runner, prepare_test_cfg
    from wsl.engine.launch import add_test_outputs, metrics_to_json
    from wsl.utils import register_all_modules

    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    prepare_test_cfg(cfg, args.config, args.checkpoint, work_dir=args.work_dir, launcher=args.launcher)
    add_test_outputs(cfg, out=args.out, show_dir=args.show_dir, tta=args.tta)
    runner = build_runner(cfg)
    metrics = runner.test()
    if runner.rank == 0:
        print(json.dumps(metrics_to_json(metrics)))


if __name__ == '__main__':
    main()
