"""Localize query images against a posed database from extracted local features (pycolmap pipeline).

Usage:
    python tools/localize.py FEATURES --queries QUERIES.txt [QUERIES2.txt ...]
        (--db-colmap MODEL_DIR | --db-intrinsics INTRINSICS.txt (--db-nvm MODEL.nvm | --db-poses POSES.txt))
        [--pairs PAIRS.txt] [--out POSES_OUT.txt] [--gt GT_POSES.txt] [--config CFG.py] [--cfg-options k=v ...]

FEATURES is a folder of ``<image name>.npz`` (tools/extract_features.py, or any extractor writing keypoints
and descriptors) or an hloc-layout .h5 file. Query lists are ``name MODEL W H params...`` lines (Aachen's
``*_time_queries_with_intrinsics.txt``); pairs are ``name1 name2`` lines (database-database and
query-database, e.g. Aachen's ``image_pairs_to_match.txt``; all pairs when omitted). Writes the
visuallocalization.net submission (``basename qw qx qy qz tx ty tz``, world-to-camera) for the localized
queries; with --gt (same format) prints the accuracy at (0.25 m, 2°) / (0.5 m, 5°) / (5 m, 10°) and the seed
paper's (0.5 m, 2°) / (1 m, 5°) / (5 m, 10°). The last line printed is one JSON object.
"""
import argparse
import json
import os.path as osp
import sys

from mmengine.config import Config, DictAction

from wsl.localization.r2d2.aachen import read_poses, write_poses
from wsl.localization.r2d2.localize_queries import LOCALIZATION_DEFAULTS, check_localization_cfg, localize_from_files
from wsl.localization.r2d2.pose_accuracy import AACHEN_THRESHOLDS, SEED_PAPER_THRESHOLDS, accuracy_report, \
    threshold_key


def match_gt_names(estimates: dict, gt: dict) -> dict:
    """Estimates keyed by the ground truth's names: full names, or unique basenames when the ground truth uses
    basenames (as a submission file does)."""
    by_base = {}
    for k, v in estimates.items():
        by_base.setdefault(k.replace('\\', '/').split('/')[-1], []).append(v)
    out = {}
    for k in gt:
        if k in estimates:
            out[k] = estimates[k]
        elif len(by_base.get(k, [])) == 1:
            out[k] = by_base[k][0]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('features', help='folder of <image>.npz files or an .h5 file')
    parser.add_argument('--queries', nargs='+', required=True, help='query lists with intrinsics')
    parser.add_argument('--db-colmap', help='COLMAP model folder (text or binary) of the database')
    parser.add_argument('--db-intrinsics', help='database intrinsics list (name MODEL W H params...)')
    parser.add_argument('--db-nvm', help='database NVM model (with --db-intrinsics)')
    parser.add_argument('--db-poses', help='database poses "name qw qx qy qz tx ty tz" (with --db-intrinsics)')
    parser.add_argument('--pairs', help='image pairs to match "name1 name2" (default: all pairs)')
    parser.add_argument('--out', help='write the estimated query poses here (submission format)')
    parser.add_argument('--full-names', action='store_true', help='write full image names, not basenames')
    parser.add_argument('--gt', help='ground-truth query poses (same format) to score against')
    parser.add_argument('--config', help='a config whose localization_cfg dict overrides the defaults')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help=f'override settings, e.g. ransac_max_error=12 ratio=0.9; known: '
                        f'{", ".join(LOCALIZATION_DEFAULTS)}')
    parser.add_argument('--quiet', action='store_true', help='no per-query lines')
    args = parser.parse_args(argv)
    try:
        cfg = {}
        if args.config is not None:
            cfg.update(Config.fromfile(args.config).get('localization_cfg', {}) or {})
        cfg.update(args.cfg_options)
        cfg = check_localization_cfg(cfg)
        out = localize_from_files(args.features, args.queries, args.db_intrinsics, args.db_poses, args.db_nvm,
                                  args.db_colmap, args.pairs, cfg, log=None if args.quiet else print)
        if args.out is not None:
            write_poses(args.out, out['poses'], basename=not args.full_names)
            print(f'wrote {len(out["poses"])} poses to {args.out}')
        summary = dict(out['stats'])
        if args.gt is not None:
            gt = read_poses(args.gt)
            report = accuracy_report(match_gt_names(out['poses'], gt), gt, AACHEN_THRESHOLDS, SEED_PAPER_THRESHOLDS)
            report.pop('per_query')
            print(f'{"thresholds":<22}' + ''.join(f'{threshold_key(*t)[4:]:>15}' for t in AACHEN_THRESHOLDS))
            print(f'{"current (%)":<22}' + ''.join(f'{100 * report[threshold_key(*t)]:>15.1f}'
                                                  for t in AACHEN_THRESHOLDS))
            print(f'{"seed paper (%)":<22}' + ''.join(f'{threshold_key(*t)[4:]:>15}' for t in SEED_PAPER_THRESHOLDS))
            print(f'{"":<22}' + ''.join(f'{100 * report[threshold_key(*t)]:>15.1f}' for t in SEED_PAPER_THRESHOLDS))
            print(f'median errors over {report["num_localized"]}/{report["num_queries"]} localized queries: '
                  f'{report["median_t"]} m, {report["median_r_deg"]} deg')
            summary.update(report)
    except (OSError, ValueError, KeyError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    summary['pipeline'] = 'pycolmap (hloc localize_sfm recipe: MNN, known-pose triangulation, ' \
                          'estimate_and_refine_absolute_pose)'
    summary['out'] = None if args.out is None else osp.abspath(args.out)
    print(json.dumps(summary))
    return 0


if __name__ == '__main__':
    sys.exit(main())
