"""COCO JSON (RLE) and VOC-palette semantic PNG export of pseudo labels."""
import contextlib
import io
import json

import numpy as np
import pytest
from PIL import Image

from wsl.datasets.synthetic.shapes import voc_palette
from wsl.segmentation.pseudo_masks import (decode_rle, encode_rle, instances_to_coco, save_label_png,
                                           semantic_label_map, write_json)
from wsl.segmentation.pseudo_masks.export import coco_image_ids


def _records():
    rng = np.random.default_rng(0)
    recs = []
    for k, name in enumerate(['2007_000032', '2008_000002']):
        h, w = 30 + k, 40
        masks = rng.random((2, h, w)) > 0.6
        recs.append(dict(img_id=name, file_name=f'{name}.jpg', height=h, width=w,
                         boxes=np.array([[1, 2, 10, 20], [5, 5, 30, 25]], float), labels=np.array([0, 2]),
                         strict=masks, loose=[encode_rle(m | np.roll(m, 1, 0)) for m in masks]))
    return recs


def test_rle_round_trip():
    m = np.random.default_rng(1).random((17, 23)) > 0.5
    rle = encode_rle(m)
    assert isinstance(rle['counts'], str) and rle['size'] == [17, 23]
    assert np.array_equal(decode_rle(rle), m)
    json.dumps(rle)


def test_coco_json_reloads_with_pycocotools(tmp_path):
    from pycocotools.coco import COCO
    recs = _records()
    classes = ['cat', 'dog', 'bird']
    for key in ('strict', 'loose'):
        path = str(tmp_path / f'instances_{key}.json')
        write_json(instances_to_coco(recs, classes, key), path)
        with contextlib.redirect_stdout(io.StringIO()):
            coco = COCO(path)
        assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == classes
        assert sorted(coco.getImgIds()) == [2007000032, 2008000002]
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[2008000002]))
        assert [a['category_id'] for a in anns] == [1, 3]
        assert anns[0]['bbox'] == [1.0, 2.0, 10.0, 19.0]  # w = x2 - x1 + 1
        for a, m in zip(anns, recs[1][key]):
            expected = decode_rle(m) if isinstance(m, dict) else m
            assert np.array_equal(coco.annToMask(a).astype(bool), expected)
            assert a['area'] == expected.sum() and a['iscrowd'] == 0
    # strict and loose pair by annotation id
    s = json.load(open(tmp_path / 'instances_strict.json'))
    lo = json.load(open(tmp_path / 'instances_loose.json'))
    assert [a['id'] for a in s['annotations']] == [a['id'] for a in lo['annotations']] == [1, 2, 3, 4]


def test_coco_export_errors_and_ids():
    recs = _records()
    recs[0]['strict'] = recs[0]['strict'][:1]
    with pytest.raises(ValueError, match='one mask per box'):
        instances_to_coco(recs, ['a', 'b', 'c'])
    with pytest.raises(ValueError, match='label 2'):
        instances_to_coco(_records(), ['a', 'b'])
    assert coco_image_ids(['2007_000032', '000001']) == [2007000032, 1]
    assert coco_image_ids(['b_img', 'a_img']) == [2, 1]  # non-numeric: 1..N in name order


def test_semantic_map_rules():
    h = w = 12
    strict = np.zeros((3, h, w), bool)
    loose = np.zeros_like(strict)
    boxes = np.array([[0, 1, 11, 11], [2, 2, 5, 5], [6, 0, 11, 3]], float)  # box 2 is not inside box 0
    labels = np.array([0, 1, 2])
    strict[0, 0:8, 0:8] = True     # big class-0 object
    strict[1, 2:6, 2:6] = True     # class-1 object nested in box 0: conflicts with object 0, then wins back
    strict[2, 0:4, 6:12] = True    # class-2 object overlapping object 0 (not nested): 255 where both
    loose[:] = strict
    loose[0, 8, 0:8] = True        # ignore band of object 0
    out = semantic_label_map(strict, loose, boxes, labels)
    assert out.dtype == np.uint8
    assert (out[2:6, 2:6] == 2).all()              # nested override (class index 1 + 1)
    assert (out[0:4, 6:8] == 255).all()            # two classes claim these pixels
    assert (out[0:4, 8:12] == 3).all()
    assert out[7, 7] == 1 and out[0, 0] == 1
    assert (out[8, 0:8] == 255).all()              # loose \ strict
    assert (out[9:, :] == 0).all() and out[6, 10] == 0
    # same-class overlaps do not conflict
    same = semantic_label_map(strict[:2], loose[:2], boxes[:2], np.array([0, 0]))
    assert (same[2:6, 2:6] == 1).all()
    assert (semantic_label_map(np.zeros((0, 4, 4), bool), np.zeros((0, 4, 4), bool), np.zeros((0, 4)),
                               np.zeros(0)) == 0).all()


def test_label_png_has_voc_palette_and_ignore(tmp_path):
    lab = np.zeros((6, 7), np.uint8)
    lab[1, 1], lab[2, 2], lab[3, 3] = 1, 4, 255
    path = str(tmp_path / 'sub' / 'x.png')
    save_label_png(lab, path)
    with Image.open(path) as im:
        assert im.mode == 'P'
        pal = np.array(im.getpalette()[:768]).reshape(-1, 3)
        assert np.array_equal(np.asarray(im), lab)
    assert np.array_equal(pal, voc_palette())
    assert tuple(pal[1]) == (128, 0, 0) and tuple(pal[255]) == (224, 224, 192)
