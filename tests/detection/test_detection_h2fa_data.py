"""Image-level-label datasets, domain-paired batches and the cross-domain VOC difficult handling."""
import os.path as osp
import warnings

import numpy as np
import pytest
from PIL import Image

from wsl.datasets import DatasetFormatError
from wsl.datasets.domain_paired import DomainPairedDataset, DomainPairedSampler
from wsl.datasets.image_labels import WslImageLabelDataset
from wsl.datasets.synthetic.shapes import SHAPES_CLASSES, load_voc_instances
from wsl.detection.datasets import CrossDomainVOCDataset
from wsl.utils import register_all_modules

META = dict(classes=SHAPES_CLASSES)
PIPE = [dict(type='LoadImageFromFile'), dict(type='PackDetInputsWithImageLabels')]


def _target(root, **kw):
    register_all_modules()
    return WslImageLabelDataset(data_root=osp.join(root, 'target'), ann_file='image_labels_train.txt',
                                metainfo=META, **kw)


def test_label_file_and_xml_give_the_labels_of_the_boxes(shapes_root):
    ds_file = _target(shapes_root)
    ds_xml = WslImageLabelDataset(data_root=osp.join(shapes_root, 'target'), ann_file='ImageSets/Main/train.txt',
                                  label_source='xml', metainfo=META)
    assert len(ds_file) == len(ds_xml) == 8
    for i in range(8):
        a, b = ds_file.get_data_info(i), ds_xml.get_data_info(i)
        inst = load_voc_instances(osp.join(shapes_root, 'target'), a['img_id'])
        assert a['img_id'] == b['img_id'] and a['image_labels'] == b['image_labels']
        assert a['image_labels'] == sorted(set(inst['labels'].tolist()))
        assert (a['width'], a['height']) == (inst['width'], inst['height'])


def test_packed_target_sample_carries_image_labels(shapes_root):
    ds = _target(shapes_root, pipeline=PIPE)
    out = ds[0]
    expected = ds.get_data_info(0)['image_labels']
    assert out['data_samples'].gt_image_labels.tolist() == expected
    assert len(out['data_samples'].gt_instances) == 0  # no boxes at all


def _write(path, text):
    with open(path, 'w') as f:
        f.write(text)


def _tiny_voc(tmp_path, objects, size=(40, 30)):
    """One image '0001' (size w x h) with the given (name, difficult) objects."""
    for d in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
        (tmp_path / d).mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((size[1], size[0], 3), np.uint8)).save(tmp_path / 'JPEGImages' / '0001.jpg')
    objs = ''.join(f'<object><name>{n}</name><difficult>{d}</difficult><bndbox><xmin>2</xmin><ymin>3</ymin>'
                   f'<xmax>12</xmax><ymax>13</ymax></bndbox></object>' for n, d in objects)
    _write(tmp_path / 'Annotations' / '0001.xml',
           f'<annotation><size><width>{size[0]}</width><height>{size[1]}</height></size>{objs}</annotation>')
    _write(tmp_path / 'ImageSets' / 'Main' / 'train.txt', '0001\n')
    return str(tmp_path)


def test_xml_labels_drop_difficult_objects_and_empty_images_are_filtered(tmp_path):
    root = _tiny_voc(tmp_path, [('circle', 0), ('star', 1)])
    kw = dict(data_root=root, ann_file='ImageSets/Main/train.txt', label_source='xml', metainfo=META)
    assert WslImageLabelDataset(**kw).get_data_info(0)['image_labels'] == [0]
    assert WslImageLabelDataset(drop_difficult=False, **kw).get_data_info(0)['image_labels'] == [0, 3]
    root2 = _tiny_voc(tmp_path / 'b', [('star', 1)])
    kw2 = dict(kw, data_root=root2)
    with pytest.raises(DatasetFormatError, match='leaves an empty training set'):
        WslImageLabelDataset(filter_cfg=dict(filter_empty_gt=True), **kw2)
    assert len(WslImageLabelDataset(filter_cfg=dict(filter_empty_gt=True), test_mode=True, **kw2)) == 1


@pytest.mark.parametrize('text,match', [
    ('0001 circle hexagon\n', r"labels.txt:1'.*class 'hexagon'"),
    ('0001 circle\n0001 star\n', r"labels.txt:2'.*already listed on line 1"),
    ('\n\n', 'lists no images'),
    ('0002 circle\n', r"image '.*0002.jpg' not found"),
])
def test_bad_label_files_raise_clear_errors(tmp_path, text, match):
    root = _tiny_voc(tmp_path, [('circle', 0)])
    _write(tmp_path / 'labels.txt', text)
    with pytest.raises(DatasetFormatError, match=match):
        WslImageLabelDataset(data_root=root, ann_file='labels.txt', metainfo=META)


def test_label_file_unknown_class_can_be_ignored_and_xml_size_is_checked(tmp_path):
    root = _tiny_voc(tmp_path, [('circle', 0)])
    _write(tmp_path / 'labels.txt', '0001 circle hexagon\n')
    ds = WslImageLabelDataset(data_root=root, ann_file='labels.txt', metainfo=META, unknown_classes='ignore')
    assert ds.get_data_info(0)['image_labels'] == [0]
    _write(tmp_path / 'Annotations' / '0001.xml', '<annotation><size><width>30</width><height>40</height></size>'
           '<object><name>circle</name></object></annotation>')
    with pytest.raises(DatasetFormatError, match='says 30x40 but image'):
        WslImageLabelDataset(data_root=root, ann_file='ImageSets/Main/train.txt', label_source='xml', metainfo=META)
    with pytest.raises(DatasetFormatError, match="ann_file '.*missing.txt' not found"):
        WslImageLabelDataset(data_root=root, ann_file='missing.txt', metainfo=META)


@pytest.mark.parametrize('mode,flags', [('keep', [0, 0]), ('ignore', [0, 1]), ('drop', [0])])
def test_cross_domain_voc_difficult_modes(tmp_path, mode, flags):
    root = _tiny_voc(tmp_path, [('circle', 0), ('star', 1)])
    ds = CrossDomainVOCDataset(difficult=mode, data_root=root, ann_file='ImageSets/Main/train.txt',
                               data_prefix=dict(sub_data_root=''), metainfo=META)
    inst = ds.get_data_info(0)['instances']
    assert [i['ignore_flag'] for i in inst] == flags
    assert [i['bbox_label'] for i in inst] == [0, 3][:len(flags)]
    assert inst[0]['bbox'] == [1, 2, 11, 12]


def test_domain_paired_batches_are_half_source_half_target_and_tagged(shapes_root):
    register_all_modules()
    src = dict(type='WslVOCDataset', data_root=osp.join(shapes_root, 'source'), ann_file='ImageSets/Main/train.txt',
               data_prefix=dict(sub_data_root=''), metainfo=META,
               pipeline=[dict(type='LoadImageFromFile'), dict(type='mmdet.LoadAnnotations', with_bbox=True),
                         dict(type='mmdet.PackDetInputs')])
    ds = DomainPairedDataset(source=src, target=_target(shapes_root, pipeline=PIPE))
    assert len(ds) == 16
    sampler = DomainPairedSampler(ds, batch_size=4, source_ratio=[1, 1], seed=3)
    it = iter(sampler)
    seen_src, seen_tgt = set(), set()
    for _ in range(8):  # 8 batches: every image of each domain is drawn once per pass of 8 / 2 = 4 batches
        idx = [next(it) for _ in range(4)]
        assert all(i < 8 for i in idx[:2]) and all(i >= 8 for i in idx[2:])
        seen_src.update(idx[:2])
        seen_tgt.update(idx[2:])
    assert seen_src == set(range(8)) and seen_tgt == set(range(8, 16))
    s, t = ds[0]['data_samples'], ds[8]['data_samples']
    assert s.metainfo['domain'] == 'source' and t.metainfo['domain'] == 'target'
    assert len(s.gt_instances) > 0 and 'gt_image_labels' in t
    first = [next(iter(DomainPairedSampler(ds, 4, seed=3))) for _ in range(2)]
    assert first[0] == first[1]  # seeded


def test_domain_paired_sampler_rejects_bad_settings_and_ungroups_safely(shapes_root, tmp_path):
    register_all_modules()
    tgt = _target(shapes_root)
    portrait = _tiny_voc(tmp_path, [('circle', 0)], size=(30, 40))  # only the "source" has a portrait image
    src = WslImageLabelDataset(data_root=portrait, ann_file='ImageSets/Main/train.txt', label_source='xml',
                               metainfo=META)
    ds = DomainPairedDataset(source=src, target=tgt)
    with pytest.raises(ValueError, match='at least one'):
        DomainPairedSampler(ds, batch_size=4, source_ratio=[5, 1])
    with pytest.raises(ValueError, match='one positive share per dataset'):
        DomainPairedSampler(ds, batch_size=4, source_ratio=[1])
    with pytest.raises(TypeError, match='ConcatDataset'):
        DomainPairedSampler(tgt, batch_size=4)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        sampler = DomainPairedSampler(ds, batch_size=2, seed=0)
    assert any('without aspect-ratio grouping' in str(x.message) for x in w)
    it = iter(sampler)
    idx = [next(it) for _ in range(6)]
    assert idx[0::2] == [0, 0, 0] and all(1 <= i <= 8 for i in idx[1::2])
