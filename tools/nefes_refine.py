"""NeFeS test-time refinement over a test set: `python tools/nefes_refine.py CONFIG CHECKPOINT --out DIR [options]`.

CONFIG/CHECKPOINT: a trained NeFeS (``NeFeSModel`` config with ``refine_dataset`` and ``refine_cfg``). Modes:
``--mode apr`` (APR + NeFeS_m: needs ``--apr-config`` and ``--apr-checkpoint``) or ``--mode pose`` (direct SE(3)
correction with lr_R / lr_t, starting from ``--init-poses FILE`` (named lines) or the APR's predictions).
Finished frames are journaled in DIR; rerunning the same command resumes after an interruption. Writes
``refined_poses.txt`` (12 numbers a line), ``refined_poses_named.txt`` (``name qw qx qy qz tx ty tz``) and prints
the median errors before/after as one JSON object on the last line.
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
    parser = argparse.ArgumentParser(description='NeFeS test-time pose refinement over a test set (resumable).')
    parser.add_argument('config', help='NeFeS config (model, refine_dataset, refine_cfg)')
    parser.add_argument('checkpoint', help='trained NeFeS checkpoint')
    parser.add_argument('--out', required=True, help='output folder (journal + pose files)')
    parser.add_argument('--mode', choices=('apr', 'pose'), help='override refine_cfg.mode')
    parser.add_argument('--apr-config', help='APR config (NeFeSAPRModel); required for --mode apr')
    parser.add_argument('--apr-checkpoint', help='APR checkpoint')
    parser.add_argument('--init-poses', help='initial poses (named pose file, APR frame c2w) for --mode pose')
    parser.add_argument('--num-iters', type=int, help='override refine_cfg.num_iters (m)')
    parser.add_argument('--max-frames', type=int, help='refine only the first N test frames')
    parser.add_argument('--stop-after', type=int, help='stop after N newly refined frames (interruption test)')
    parser.add_argument('--device', default='cpu', help='torch device (cpu, cuda, cuda:1, ...)')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from wsl.localization.nefes.refine_dataset import load_refinement_setup, refine_test_set

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    for key, val in (('mode', args.mode), ('num_iters', args.num_iters)):
        if val is not None:
            cfg.refine_cfg[key] = val
    try:
        setup = load_refinement_setup(cfg, args.checkpoint, apr_config=args.apr_config,
                                      apr_checkpoint=args.apr_checkpoint, device=args.device)
        summary = refine_test_set(setup['nefes'], setup['extractor'], setup['dataset'], cfg.refine_cfg, args.out,
                                  apr=setup['apr'], init_poses=args.init_poses, max_frames=args.max_frames,
                                  stop_after=args.stop_after, progress=not args.no_progress)
    except (OSError, ValueError, KeyError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == '__main__':
    sys.exit(main())
