"""BBAM figure (paper Fig. 5) of one image: `python tools/bbam_figure.py MAPS_DIR IMG_ID --out PNG`.

Post-processes the image's maps with the chosen variant and draws boxes, per-box BBAMs and the final masks.
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
    parser = argparse.ArgumentParser(description='Draw the BBAM figure of one image.')
    parser.add_argument('maps_dir', help='output folder of tools/bbam_generate.py (holds maps/*.npz)')
    parser.add_argument('img_id', help='image id (maps/<IMG_ID>.npz)')
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument('--variant', choices=('code-parity', 'paper'), default='code-parity')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override post-processing settings')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from wsl.segmentation.pseudo_masks import (bbam_figure, load_bbam_npz, load_meta, postprocess_config,
                                               postprocess_image, read_image, resolve_maps_dir)
    from wsl.segmentation.pseudo_masks.postprocess import check_postprocess_config
    try:
        src = resolve_maps_dir(args.maps_dir)
        classes = load_meta(src)['classes']
        path = osp.join(src, f'{args.img_id}.npz')
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path} does not exist')
        data = load_bbam_npz(path, len(classes))
        image = read_image(data['img_path'], data['ori_shape'])
        cfg = postprocess_config(args.variant)
        if args.cfg_options:
            merged = Config(cfg)
            merged.merge_from_dict(args.cfg_options)
            cfg = check_postprocess_config(merged.to_dict())
        res = postprocess_image(data['maps'], data['boxes'], image, cfg)
        bbam_figure(image, data['boxes'], data['maps'], res['strict'], res['loose'], data['labels'], classes,
                    out_path=args.out, title=f'{args.img_id} ({args.variant})')
    except (OSError, ValueError, KeyError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(json.dumps(dict(out=osp.abspath(args.out), img_id=args.img_id, boxes=len(data['boxes']),
                          fallbacks=res['fallbacks'])))
    return 0


if __name__ == '__main__':
    sys.exit(main())
