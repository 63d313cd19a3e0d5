"""Fixtures of the downstream-training tool tests: tiny pseudo labels in the formats tools/bbam_make_labels.py writes."""
import os.path as osp

import pytest


@pytest.fixture(scope='module')
def pseudo(shapes_root, tmp_path_factory):
    """8 shapes source-train images: VOC-palette PNGs and strict/loose COCO JSONs (exact masks eroded by 2 px /
    dilated by 3 px, 'gt-band'), the id list, and the source-test ground truth as COCO JSON."""
    from wsl.datasets.synthetic.shapes import SHAPES_CLASSES, image_id
    from wsl.segmentation.datasets import write_voc_instances_coco
    from wsl.segmentation.downstream import write_label_dir
    out = tmp_path_factory.mktemp('pseudo')
    voc = osp.join(shapes_root, 'source')
    ids = [image_id('train', i) for i in range(8)]
    write_label_dir(voc, ids, str(out / 'labels'), 'gt-band', SHAPES_CLASSES)
    (out / 'train.txt').write_text('\n'.join(ids) + '\n')
    write_voc_instances_coco(voc, 'test', str(out / 'test_gt.json'), SHAPES_CLASSES)
    return dict(voc=voc, labels=str(out / 'labels'), ids=str(out / 'train.txt'), gt=str(out / 'test_gt.json'))
