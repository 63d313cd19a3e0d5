"""Check and complete a cross-domain VOC-layout dataset (Clipart1k, Watercolor2k, Comic2k, Foggy Cityscapes).

    python tools/prepare_data/cross_domain_voc.py check data/clipart [--splits train test] [--fix]
    python tools/prepare_data/cross_domain_voc.py union data/clipart --splits train test --name traintest
"""
import argparse
import os.path as osp
import sys

_REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if osp.isfile(osp.join(_REPO, 'wsl', '__init__.py')) and _REPO not in sys.path:
    sys.path.insert(0, _REPO)


def main(argv=None) -> int:
    from wsl.detection.datasets.prepare import find_size_mismatches, resize_to_xml, write_union_split
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    c = sub.add_parser('check', help='compare every image size with its XML <size>')
    c.add_argument('root')
    c.add_argument('--splits', nargs='+', help='split names (default: every Annotations/*.xml)')
    c.add_argument('--fix', action='store_true', help='resize mismatching images to their XML size, in place')
    u = sub.add_parser('union', help='write the union of splits as a new split')
    u.add_argument('root')
    u.add_argument('--splits', nargs='+', required=True)
    u.add_argument('--name', required=True)
    args = p.parse_args(argv)
    if args.cmd == 'union':
        n = write_union_split(args.root, args.splits, args.name)
        print(f'wrote {osp.join(args.root, "ImageSets", "Main", args.name + ".txt")} ({n} images)')
        return 0
    bad = find_size_mismatches(args.root, args.splits)
    for m in bad:
        print(f"{m['id']}: XML {m['xml_size'][0]}x{m['xml_size'][1]}, image {m['image_size'][0]}x"
              f"{m['image_size'][1]}{' (transposed)' if m['transposed'] else ''}")
    if bad and args.fix:
        resize_to_xml(args.root, bad)
        print(f'resized {len(bad)} image(s) to their XML size')
        return 0
    print(f'{len(bad)} size mismatch(es)')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
