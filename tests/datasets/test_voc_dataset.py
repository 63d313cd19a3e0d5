"""WslVOCDataset reads the shapes data like MMDetection's VOCDataset and rejects bad input with clear errors."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest

from wsl.datasets import DatasetFormatError, WslVOCDataset
from wsl.datasets.synthetic.shapes import SHAPES_CLASSES, load_voc_instances
from wsl.testing import TINY_TRAIN_OPTIONS, run_tool, shapes_root_options


def _build(root, **kw):
    args = dict(data_root=root, ann_file='ImageSets/Main/train.txt', data_prefix=dict(sub_data_root=''),
                metainfo=dict(classes=SHAPES_CLASSES), pipeline=[], test_mode=True)
    args.update(kw)
    return WslVOCDataset(**args)


@pytest.fixture
def voc(shapes_root, tmp_path):
    """A private copy of the source domain that a test may corrupt."""
    dst = tmp_path / 'voc'
    shutil.copytree(osp.join(shapes_root, 'source'), dst)
    return str(dst)


def test_same_data_as_mmdetection_voc_dataset(shapes_root):
    from mmdet.datasets import VOCDataset
    root = osp.join(shapes_root, 'source')
    ours = _build(root)
    ref = VOCDataset(data_root=root, ann_file='ImageSets/Main/train.txt', data_prefix=dict(sub_data_root=''),
                     metainfo=dict(classes=SHAPES_CLASSES), pipeline=[], test_mode=True)
    assert len(ours) == len(ref) == 8
    for i in range(len(ours)):
        a, b = ours.get_data_info(i), ref.get_data_info(i)
        for key in ('img_path', 'img_id', 'height', 'width', 'instances'):
            assert a[key] == b[key], key
        gt = load_voc_instances(root, a['img_id'])
        np.testing.assert_array_equal(np.array([x['bbox'] for x in a['instances']]), gt['boxes'])
        assert [x['bbox_label'] for x in a['instances']] == gt['labels'].tolist()


def test_missing_ann_file(voc):
    with pytest.raises(DatasetFormatError, match=r"ann_file '.*nope\.txt' not found"):
        _build(voc, ann_file='ImageSets/Main/nope.txt')


def test_broken_xml_names_the_file(voc):
    first = open(osp.join(voc, 'ImageSets/Main/train.txt')).read().split()[0]
    path = osp.join(voc, 'Annotations', f'{first}.xml')
    with open(path, 'w') as f:
        f.write('<annotation><size><width>128</width>')
    with pytest.raises(DatasetFormatError, match=rf"{first}\.xml' is not valid XML"):
        _build(voc)


def test_unreadable_image_names_the_file(voc):
    first = open(osp.join(voc, 'ImageSets/Main/train.txt')).read().split()[0]
    with open(osp.join(voc, 'JPEGImages', f'{first}.jpg'), 'wb') as f:
        f.write(b'this is not a jpeg')
    with pytest.raises(DatasetFormatError, match=rf"{first}\.jpg' cannot be read as an image"):
        _build(voc)
    os.remove(osp.join(voc, 'JPEGImages', f'{first}.jpg'))
    with pytest.raises(DatasetFormatError, match=rf"{first}\.jpg' not found"):
        _build(voc)


def _rewrite_first_xml(voc, old, new):
    first = open(osp.join(voc, 'ImageSets/Main/train.txt')).read().split()[0]
    path = osp.join(voc, 'Annotations', f'{first}.xml')
    text = open(path).read()
    assert old in text
    with open(path, 'w') as f:
        f.write(text.replace(old, new, 1))
    return first


def test_unknown_class_is_an_error_unless_ignored_on_purpose(voc):
    name = _build(voc).get_data_info(0)['instances'][0]['bbox_label']
    first = _rewrite_first_xml(voc, f'<name>{SHAPES_CLASSES[name]}</name>', '<name>hexagon</name>')
    with pytest.raises(DatasetFormatError, match=rf"{first}\.xml': object #0 has class 'hexagon'"):
        _build(voc)
    ds = _build(voc, unknown_classes='ignore')
    assert all(x['bbox_label'] in range(len(SHAPES_CLASSES)) for x in ds.get_data_info(0)['instances'])


def test_box_outside_the_image(voc):
    first = open(osp.join(voc, 'ImageSets/Main/train.txt')).read().split()[0]
    path = osp.join(voc, 'Annotations', f'{first}.xml')
    text = open(path).read()
    start = text.index('<xmax>') + len('<xmax>')
    end = text.index('</xmax>')
    with open(path, 'w') as f:
        f.write(text[:start] + '500' + text[end:])
    with pytest.raises(DatasetFormatError, match=r'is not inside the 128x128 image'):
        _build(voc)


def test_size_mismatch_between_xml_and_image(voc):
    _rewrite_first_xml(voc, '<width>128</width>', '<width>256</width>')
    with pytest.raises(DatasetFormatError, match=r'<size> says 256x128 but image'):
        _build(voc)


def test_train_tool_fails_before_training_on_a_bad_dataset(voc, shapes_root, det_config, tool_env, python_exe,
                                                          tmp_path):
    _rewrite_first_xml(voc, '</name>', '</name><!-- -->')  # still valid
    first = open(osp.join(voc, 'ImageSets/Main/train.txt')).read().split()[0]
    with open(osp.join(voc, 'Annotations', f'{first}.xml'), 'w') as f:
        f.write('not xml at all')
    opts = [*TINY_TRAIN_OPTIONS, *shapes_root_options(shapes_root), f'train_dataloader.dataset.data_root={voc}/']
    with pytest.raises(AssertionError) as e:
        run_tool([python_exe, 'tools/train.py', det_config, '--work-dir', str(tmp_path), '--cfg-options', *opts],
                 tool_env)
    assert f'{first}.xml' in str(e.value) and 'is not valid XML' in str(e.value)
    assert 'Iter(train)' not in str(e.value)
    assert not any(n.endswith('.pth') for n in os.listdir(tmp_path))


def test_config_with_missing_data_root(det_config, tool_env, python_exe, tmp_path):
    opts = [*TINY_TRAIN_OPTIONS, *shapes_root_options(str(tmp_path / 'no_such_data'))]
    with pytest.raises(AssertionError) as e:
        run_tool([python_exe, 'tools/train.py', det_config, '--work-dir', str(tmp_path / 'wd'), '--cfg-options',
                  *opts], tool_env)
    assert "no_such_data/source/ImageSets/Main/train.txt' not found" in str(e.value)
