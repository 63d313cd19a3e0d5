"""Evaluate temporal action detections in ActivityNet JSON format.

    python tools/eval_temporal.py GT_JSON PRED_JSON --protocol {legacy,activitynet} [--iou ...]

Prints a table of per-IoU mAP (percent) and the averages; the LAST line is one JSON object.
``--iou`` takes thresholds (0.3) and/or set names (0.1:0.5, 0.1:0.7, 0.5:0.95); default 0.1:0.7.
"""
import argparse
import json
import os.path as osp
import sys

# Run from a checkout, use the checkout's `wsl` (not an older installed copy).
_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if osp.isfile(osp.join(_REPO, 'wsl', '__init__.py')) and _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from wsl.temporal.metrics import (IOU_SETS, PROTOCOLS, evaluate_detection,  # noqa: E402
                                  load_activitynet_gt, load_activitynet_results, load_ambiguous, summarize)


def parse_iou(items):
    """Thresholds from numbers and set names, sorted and deduplicated."""
    out = []
    for item in items:
        if item in IOU_SETS:
            out += IOU_SETS[item]
            continue
        try:
            t = float(item)
        except ValueError:
            raise SystemExit(f'--iou: {item!r} is neither a number nor one of {sorted(IOU_SETS)}')
        if not 0 < t <= 1:
            raise SystemExit(f'--iou: {t} is outside (0, 1]')
        out.append(round(t, 4))
    return sorted(set(out))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('gt_json', help='ground truth with a "database" object')
    parser.add_argument('pred_json', help='predictions with a "results" object')
    parser.add_argument('--protocol', choices=PROTOCOLS, default='activitynet',
                        help='legacy: snippet units + first-fit (W-TALC/D2-Net); activitynet: seconds + best tIoU')
    parser.add_argument('--iou', nargs='+', default=['0.1:0.7'], help='thresholds and/or set names')
    parser.add_argument('--subset', default=None, help='evaluate only GT videos of this subset (default: all)')
    parser.add_argument('--ambiguous', default=None,
                        help='Ambiguous_test.txt or JSON {video: [[t0, t1], ...]}; drops overlapping predictions')
    parser.add_argument('--snippet-rate', type=float, default=25 / 16, help='snippets per second (legacy)')
    parser.add_argument('--zero-later-classes-bug', action='store_true',
                        help='reproduce the official legacy bug (AP of classes after an empty one = 0)')
    args = parser.parse_args(argv)

    gt, classes = load_activitynet_gt(args.gt_json, args.subset)
    preds = load_activitynet_results(args.pred_json)
    ambiguous = load_ambiguous(args.ambiguous) if args.ambiguous else None
    ious = parse_iou(args.iou)
    res = evaluate_detection(gt, preds, ious, args.protocol, ambiguous, classes, args.snippet_rate,
                             args.zero_later_classes_bug)
    summary = summarize(res)

    print(f'protocol={args.protocol}  videos={len(gt)}  classes={len(res["classes"])}  '
          f'gt={res["num_gt"]}  predictions={res["num_pred"]}')
    print(f'{"IoU":>12} | {"mAP (%)":>8}')
    print('-' * 23)
    for key, val in summary.items():
        print(f'{key.replace("mAP@", ""):>12} | {val:8.2f}')
    out = dict(protocol=args.protocol, **{k: round(v, 4) for k, v in summary.items()})
    sys.stdout.flush()
    print(json.dumps(out))
    return out


if __name__ == '__main__':
    main()
