"""Convert an official R2D2 checkpoint (naver/r2d2 ``models/*.pt``) to a ``wsl`` R2D2Net checkpoint.

Usage: python tools/model_converters/r2d2_to_wsl.py SRC DST
"""
import argparse

from wsl.localization.r2d2.convert import convert_r2d2_checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official checkpoint, e.g. r2d2_WASF_N16.pt')
    parser.add_argument('dst', help='output path for the converted checkpoint')
    args = parser.parse_args()
    ckpt = convert_r2d2_checkpoint(args.src, args.dst)
    n = sum(v.numel() for k, v in ckpt['state_dict'].items() if not k.endswith('num_batches_tracked'))
    print(f'converted {len(ckpt["state_dict"])} tensors ({n} values) -> {args.dst}; model: {ckpt["meta"]["model"]}')


if __name__ == '__main__':
    main()
