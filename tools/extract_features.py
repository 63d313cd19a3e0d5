"""Extract R2D2 keypoints, scores and descriptors for every image of a folder.

Usage:
    python tools/extract_features.py CONFIG CHECKPOINT IMAGE_DIR OUT_DIR [options]
    python tools/extract_features.py CHECKPOINT IMAGE_DIR OUT_DIR [options]

CHECKPOINT may be an official R2D2 checkpoint or a converted one. Writes OUT_DIR/<image>.npz
(keypoints (N, 3) as x, y, scale; scores; descriptors (N, D); image_size) and, with --h5, one HDF5
file in the hloc layout. Defaults are the official extractor's.
"""
import argparse

from wsl.localization.r2d2.extract import R2D2_EXTRACT_DEFAULTS
from wsl.localization.r2d2.feature_files import extract_folder
from wsl.localization.r2d2.inference import init_r2d2_net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('paths', nargs='+', help='[CONFIG] CHECKPOINT IMAGE_DIR OUT_DIR')
    d = R2D2_EXTRACT_DEFAULTS
    for name in ('top_k', 'min_size', 'max_size'):
        parser.add_argument('--' + name.replace('_', '-'), type=int, default=None, help=f'default {d[name]}')
    for name in ('scale_f', 'min_scale', 'max_scale', 'rel_thr', 'rep_thr'):
        parser.add_argument('--' + name.replace('_', '-'), type=float, default=None, help=f'default {d[name]:.4g}')
    parser.add_argument('--h5', default=None, help='also write this HDF5 file (needs h5py)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='unpickle any object (Runner checkpoints load without it); only for files you trust')
    args = parser.parse_args()
    if len(args.paths) not in (3, 4):
        parser.error('expected CONFIG CHECKPOINT IMAGE_DIR OUT_DIR or CHECKPOINT IMAGE_DIR OUT_DIR')
    *model, image_dir, out_dir = args.paths
    net, cfg = init_r2d2_net(*model, device=args.device, trust_checkpoint=args.trust_checkpoint)
    cfg.update({k: getattr(args, k) for k in d if getattr(args, k) is not None})
    written = extract_folder(net, image_dir, out_dir, h5_path=args.h5, device=args.device, log=print, **cfg)
    print(f'wrote {len(written)} feature files to {out_dir}')


if __name__ == '__main__':
    main()
