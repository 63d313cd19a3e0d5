"""The ``wsl`` command: ``wsl demo``, ``wsl bench NAME``, ``wsl data NAME``.

Training and testing of any config go through ``python tools/train.py`` / ``tools/test.py`` or
``mim train wsl`` / ``mim test wsl``; this command holds the toolkit's own jobs.
"""
import argparse
import json
import sys
from typing import List, Optional


def _cmd_demo(args: argparse.Namespace) -> int:
    from wsl.demo import run_demo
    result = run_demo(out_dir=args.out, quick=args.quick, sections=args.only)
    print(json.dumps(result))
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from wsl.benchmarks import get_benchmarks
    benches = get_benchmarks()
    if args.name not in benches:
        print(f"wsl bench: unknown benchmark '{args.name}'. Available: {', '.join(sorted(benches))}",
              file=sys.stderr)
        return 2
    out = args.out or f'work_dirs/bench/{args.name}'
    result = benches[args.name](quick=args.quick, seed=args.seed, out=out)
    print(json.dumps(result))
    return 0


def _cmd_bench_list(args: argparse.Namespace) -> int:
    from wsl.benchmarks import get_benchmarks
    for name, fn in sorted(get_benchmarks().items()):
        doc = (fn.__doc__ or '').strip().splitlines()
        print(f'{name:32s} {doc[0] if doc else ""}')
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    if args.num_train is None:
        args.num_train = 2000 if args.name == 'shapes-backbone' else 200
    if args.name == 'shapes':
        from wsl.datasets.synthetic.shapes import make_shapes_dataset
        manifest = make_shapes_dataset(args.out, num_train=args.num_train, num_test=args.num_test, seed=args.seed,
                                       domains=args.domains, overwrite=args.overwrite)
        print(json.dumps({k: v for k, v in manifest.items() if isinstance(v, (str, int, float, list, dict))}))
        return 0
    if args.name == 'shapes-backbone':
        from wsl.benchmarks.shapes_pretrain import pretrain_shapes_backbone
        meta = pretrain_shapes_backbone(args.out, iters=args.iters, num_images=args.num_train, seed=args.seed)
        print(json.dumps(dict(meta, checkpoint=args.out)))
        return 0
    print(f"wsl data: unknown generator '{args.name}'", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='wsl', description='wsl: weakly supervised localization toolkit (H2FA R-CNN, D2-Net, BBAM, '
        'R2D2 + context aggregation, NeFeS) on MMEngine/MMDetection.',
        epilog='Train/test any config with `python tools/train.py CONFIG` / `python tools/test.py CONFIG CKPT` or '
        '`mim train wsl CONFIG` / `mim test wsl CONFIG --checkpoint CKPT`.')
    from wsl.version import __version__
    parser.add_argument('--version', action='version', version=f'wsl {__version__}')
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')

    p = sub.add_parser('demo', help='train and evaluate on the built-in synthetic data; write a report')
    p.add_argument('--out', default='work_dirs/demo', help='report folder (default: work_dirs/demo)')
    p.add_argument('--quick', action='store_true', help='shorter schedules (a smoke run; numbers are lower)')
    p.add_argument('--only', nargs='+', metavar='SECTION', help='run only these sections')
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser('bench', help='run a benchmark; the last line printed is one JSON object')
    p.add_argument('name', nargs='?', help='benchmark name (omit to list them)')
    p.add_argument('--quick', action='store_true', help='the few-minute CPU variant')
    p.add_argument('--seed', type=int, default=0, help='random seed (default 0)')
    p.add_argument('--out', help='output folder (default: work_dirs/bench/NAME)')
    p.set_defaults(func=lambda a: _cmd_bench(a) if a.name else _cmd_bench_list(a))

    p = sub.add_parser('data', help='write a synthetic dataset in a real dataset format')
    p.add_argument('name', choices=['shapes', 'shapes-backbone'],
                   help='shapes: two-domain detection/segmentation set in VOC layout; shapes-backbone: train the '
                   'shape-aware R-18 DC5 backbone (the offline stand-in for ImageNet weights) into --out (a .pth); '
                   'use it with --cfg-options model.backbone.init_cfg.type=Pretrained '
                   'model.backbone.init_cfg.checkpoint=FILE')
    p.add_argument('--out', required=True, help='output folder (shapes-backbone: checkpoint file)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--num-train', type=int, help='train images (default 200; shapes-backbone: 2000)')
    p.add_argument('--iters', type=int, default=2000, help='shapes-backbone: SGD iterations (batch 16)')
    p.add_argument('--num-test', type=int, default=100)
    p.add_argument('--domains', nargs='+', default=['source', 'target', 'target_mild'],
                   choices=['source', 'target', 'target_mild'],
                   help='domains to write (default all three; the H2FA shapes configs train on target_mild)')
    p.add_argument('--overwrite', action='store_true', help='replace a dataset made with other parameters')
    p.set_defaults(func=_cmd_data)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, 'func', None):
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
