"""H²FA R-CNN score heat maps (the supplement's Figure B.2) for images.

    python tools/h2fa_heatmaps.py CONFIG CHECKPOINT IMAGE [IMAGE ...] --out-dir DIR [--class NAME] [--device cpu]

Writes ``DIR/<image stem>_heatmaps.png`` per image (the image, accumulated objectness, classification score and
aggregated IIR score of one class: ``--class`` or the image's top-scoring class) and prints one JSON object on the
last line: per image its file, class, image scores and proposal count.
"""
import argparse
import json
import os
import os.path as osp
import sys

_REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if osp.isfile(osp.join(_REPO, 'wsl', '__init__.py')) and _REPO not in sys.path:
    sys.path.insert(0, _REPO)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='H2FA R-CNN Figure B.2 heat maps for images.')
    parser.add_argument('config', help='H2FA R-CNN config')
    parser.add_argument('checkpoint', help='trained checkpoint')
    parser.add_argument('images', nargs='+', help='image files')
    parser.add_argument('--out-dir', required=True, help='folder for the PNG figures')
    parser.add_argument('--class', dest='class_name', help='class of maps (c) and (d); default: top image score')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from wsl.apis import init_model
    from wsl.detection.heatmaps import draw_h2fa_heatmaps
    from wsl.utils import register_all_modules

    register_all_modules()
    model = init_model(args.config, args.checkpoint, device=args.device)
    os.makedirs(args.out_dir, exist_ok=True)
    results = {}
    for img in args.images:
        out = osp.join(args.out_dir, osp.splitext(osp.basename(img))[0] + '_heatmaps.png')
        r = draw_h2fa_heatmaps(model, img, out, class_name=args.class_name)
        results[img] = dict(figure=out, class_name=r['class_name'], image_scores=r['image_scores'],
                            num_proposals=r['num_proposals'])
        print(f"{img}: class {r['class_name']}, {r['num_proposals']} proposals -> {out}")
    print(json.dumps(results))
    return 0


if __name__ == '__main__':
    sys.exit(main())
