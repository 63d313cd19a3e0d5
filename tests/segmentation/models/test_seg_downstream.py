"""wsl.segmentation.downstream: label folders from box / exact masks, and the in-process downstream training that
``wsl bench bbam`` calls (2 iterations here)."""
import json
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from wsl.datasets.synthetic.shapes import SHAPES_CLASSES, image_id, load_voc_instances
from wsl.segmentation.downstream import resolve_voc_root, train_downstream_shapes, write_label_dir

IDS = [image_id('train', i) for i in range(8)]


def _png(path):
    with Image.open(path) as im:
        assert im.mode == 'P'
        return np.asarray(im)


def test_label_folders_from_exact_masks_and_boxes(shapes_root, tmp_path):
    voc = osp.join(shapes_root, 'source')
    summary = write_label_dir(voc, IDS[:3], str(tmp_path / 'gt'), 'gt', SHAPES_CLASSES)
    assert summary['images'] == 3
    for i in IDS[:3]:  # exact, disjoint masks: the class map is the ground truth itself
        assert np.array_equal(_png(tmp_path / 'gt' / 'SegmentationClassBBAM' / f'{i}.png'),
                              _png(osp.join(voc, 'SegmentationClass', f'{i}.png')))
    write_label_dir(voc, IDS[:3], str(tmp_path / 'box'), 'box', SHAPES_CLASSES)
    inst = load_voc_instances(voc, IDS[0])
    box_map = _png(tmp_path / 'box' / 'SegmentationClassBBAM' / f'{IDS[0]}.png')
    for (x1, y1, x2, y2), lab in zip(inst['boxes'].astype(int), inst['labels']):
        inside = box_map[y1:y2 + 1, x1:x2 + 1]
        assert np.isin(inside, [lab + 1, 255]).all()  # own class, or 255 where another class's box overlaps
    with open(tmp_path / 'box' / 'instances_strict.json') as f:
        strict = json.load(f)
    with open(tmp_path / 'box' / 'instances_loose.json') as f:
        loose = json.load(f)
    assert strict['annotations'] == loose['annotations']  # boxes: strict = loose, no ignore band
    with pytest.raises(KeyError, match='label source'):
        write_label_dir(voc, IDS[:1], str(tmp_path / 'x'), 'nope', SHAPES_CLASSES)


def test_train_downstream_shapes_returns_test_metrics(shapes_root, tmp_path):
    labels = str(tmp_path / 'labels')
    write_label_dir(osp.join(shapes_root, 'source'), IDS, labels, 'gt-band', SHAPES_CLASSES)
    r = train_downstream_shapes(labels, shapes_root, str(tmp_path / 'out'), iters=2, seed=0, batch_size=2)
    assert r['train_images'] == 8 and r['test_images'] == 4 and r['iters'] == 2 and r['instance_iters'] == 2
    assert 0 <= r['semantic/mIoU'] <= 1 and 0 < r['semantic/aAcc'] <= 1
    assert {f'semantic/IoU_{c}' for c in ('background', *SHAPES_CLASSES)} <= set(r)
    assert 0 <= r['instance/AP75'] <= r['instance/AP50'] <= r['instance/AP25'] <= 1 and 0 <= r['instance/ABO'] <= 1
    assert osp.isfile(tmp_path / 'out' / 'semantic' / 'iter_2.pth')
    assert osp.isfile(tmp_path / 'out' / 'instance' / 'iter_2.pth')
    with open(tmp_path / 'out' / 'instances_test_gt.json') as f:
        assert len(json.load(f)['images']) == 4


def test_msc_crf_deeplab_is_tested_with_and_without_its_crf(shapes_root, tmp_path):
    labels = str(tmp_path / 'labels')
    write_label_dir(osp.join(shapes_root, 'source'), IDS, labels, 'gt-band', SHAPES_CLASSES)
    r = train_downstream_shapes(labels, shapes_root, str(tmp_path / 'out'), iters=2, seed=0, batch_size=2,
                                instance=False,
                                semantic_config_name='bbam/bbam-deeplab_r18-d8_1xb8-600it_shapes_msc-crf.py')
    assert 0 <= r['semantic/mIoU'] <= 1 and 0 <= r['semantic_no_crf/mIoU'] <= 1
    assert {f'semantic_no_crf/IoU_{c}' for c in ('background', *SHAPES_CLASSES)} <= set(r)
    assert not any(k.startswith('instance/') for k in r)


def test_bad_folders_are_clear_errors(shapes_root, tmp_path):
    assert resolve_voc_root(shapes_root) == osp.join(shapes_root, 'source')
    with pytest.raises(FileNotFoundError, match='VOC-layout'):
        resolve_voc_root(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='bbam_make_labels'):
        train_downstream_shapes(str(tmp_path), shapes_root, str(tmp_path / 'out'), iters=1)
