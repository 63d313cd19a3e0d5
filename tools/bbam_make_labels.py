"""BBAM maps → pseudo labels: `python tools/bbam_make_labels.py MAPS_DIR --out OUT [options]`.

MAPS_DIR is the output of ``tools/bbam_generate.py`` (``MAPS_DIR/maps/<id>.npz`` + ``meta.json``). Writes
``OUT/instances_strict.json`` and ``OUT/instances_loose.json`` (COCO, RLE masks; strict = T_fg, loose =
T_loose), ``OUT/SegmentationClassBBAM/<id>.png`` (VOC palette, 255 = ignore) and a per-image cache under
``OUT/cache`` (rerunning the same command resumes after an interruption). Refinement: ``--mcg-dir DIR`` (public
MCG ``.mat`` proposals, ``DIR/<id>.mat``) or ``--proposals builtin`` (superpixel hierarchy, not MCG).
``--method box|grabcut`` writes the box baselines instead. The last stdout line is a JSON summary.
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
    parser = argparse.ArgumentParser(description='BBAM maps -> strict/loose pseudo masks (COCO JSON + PNG).')
    parser.add_argument('maps_dir', help='output folder of tools/bbam_generate.py (holds maps/*.npz)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--variant', choices=('code-parity', 'paper'), default='code-parity',
                        help='thresholds: box-area quantiles 0.85/0.2 (code) or values theta_fg/theta_bg (paper)')
    parser.add_argument('--method', choices=('bbam', 'box', 'grabcut'), default='bbam',
                        help='mask source: BBAM post-processing or a box baseline')
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--mcg-dir', help='folder of MCG proposal .mat files (<id>.mat) for Eq. 4 refinement')
    group.add_argument('--proposals', choices=('builtin', 'none'), default='none',
                       help='built-in superpixel-hierarchy proposals for the refinement, or none')
    parser.add_argument('--workers', type=int, default=1, help='worker processes')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings, e.g. postprocess.th_fg_strict=0.9 mcg.contain_frac=1.0')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from wsl.segmentation.pseudo_masks import make_labels_config, make_pseudo_labels

    proposals = 'mcg' if args.mcg_dir else args.proposals
    try:
        cfg = make_labels_config(args.variant, args.method, proposals)
        if args.cfg_options:
            merged = Config(cfg)
            merged.merge_from_dict(args.cfg_options)
            cfg = merged.to_dict()
        summary = make_pseudo_labels(args.maps_dir, args.out, cfg, mcg_dir=args.mcg_dir, workers=args.workers,
                                     progress=not args.no_progress)
    except (OSError, ValueError, KeyError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == '__main__':
    sys.exit(main())
