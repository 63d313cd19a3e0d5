"""Median pose errors of predicted vs ground-truth pose files.

Usage: python tools/eval_pose.py PRED GT [PRED GT ...] [--convention c2w|w2c] [--no-project]

Files hold flattened 3x4 [R|t] matrices (12 numbers a line, optionally after a frame name) or
``name qw qx qy qz tx ty tz`` lines. Frames are paired by name when both files name them, else by
line order. Prints a table, then one JSON object as the last line with ``median_translation_m`` and
``median_rotation_deg`` (with several pairs: the averages of the per-file medians).
"""
import argparse
import json
import sys

from wsl.localization.nefes.pose_metric import CONVENTIONS, evaluate_pose_files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('files', nargs='+', metavar='PRED GT', help='prediction and ground-truth files, in pairs')
    parser.add_argument('--convention', choices=CONVENTIONS, default='c2w',
                        help='pose convention of both files (default: c2w, as NeFeS writes them)')
    parser.add_argument('--no-project', action='store_true',
                        help='measure rotations without projecting onto SO(3) (shows trap T1; not for reporting)')
    args = parser.parse_args(argv)
    if len(args.files) % 2:
        parser.error(f'expected PRED GT pairs, got {len(args.files)} paths')
    rows = []
    try:
        for pred, gt in zip(args.files[::2], args.files[1::2]):
            rows.append(dict(pred=pred, gt=gt, **evaluate_pose_files(pred, gt, args.convention, not args.no_project)))
    except (OSError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'{"prediction":<40} {"frames":>7} {"median t (m)":>13} {"median R (deg)":>15} {"5cm/5deg":>9}')
    for r in rows:
        print(f'{r["pred"][-40:]:<40} {r["num_frames"]:>7d} {r["median_translation_m"]:>13.4f} '
              f'{r["median_rotation_deg"]:>15.3f} {r["acc_5cm_5deg"]:>9.3f}')
    summary = dict(median_translation_m=sum(r['median_translation_m'] for r in rows) / len(rows),
                   median_rotation_deg=sum(r['median_rotation_deg'] for r in rows) / len(rows),
                   num_files=len(rows), per_file=rows)
    print(json.dumps(summary))
    return 0


if __name__ == '__main__':
    sys.exit(main())
