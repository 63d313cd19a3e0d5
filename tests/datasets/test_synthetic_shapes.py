"""The two-domain synthetic shapes generator: exact geometry, VOC format, determinism, domain statistics, caching."""
import colorsys
import hashlib
import json
import math
import os
import os.path as osp
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from wsl.datasets.synthetic.shapes import (SHAPES_CLASSES, image_id, load_voc_instances, make_shapes_dataset,
                                           voc_palette)
from wsl.datasets.synthetic.shapes_render import (SOURCE_HUES, TARGET_HUES, ShapeSpec, coverage, inside,
                                                  rasterize)

ARGS = dict(num_train=6, num_test=4, seed=0)


def _hashes(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            path = osp.join(dirpath, f)
            with open(path, 'rb') as fh:
                out[osp.relpath(path, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def _ids(voc, split):
    with open(osp.join(voc, 'ImageSets', 'Main', f'{split}.txt')) as f:
        return f.read().split()


def _all_ids(voc):
    return _ids(voc, 'train') + _ids(voc, 'test')


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('shapes'))
    return root, make_shapes_dataset(root, **ARGS)


# ----------------------------------------------------------------------------- geometry
def test_masks_are_exact_pixel_centre_rasterisations():
    # Axis-aligned square (vertices at 45 deg + k 90 deg) of half side 4 around (10, 10): exactly [6, 14)^2.
    sq = ShapeSpec(label=SHAPES_CLASSES.index('square'), cx=10.0, cy=10.0, radius=4 * math.sqrt(2), angle=0.0)
    m = rasterize(sq, 20, 20)
    expect = np.zeros((20, 20), dtype=bool)
    expect[6:14, 6:14] = True
    np.testing.assert_array_equal(m, expect)
    assert coverage(sq, 20, 20).sum() == pytest.approx(64.0, abs=1e-4)
    # Circle r=5 at (10.3, 9.7): brute-force pixel-centre test, written independently.
    c = ShapeSpec(label=SHAPES_CLASSES.index('circle'), cx=10.3, cy=9.7, radius=5.0, angle=1.0)
    brute = np.array([[(j + 0.5 - 10.3) ** 2 + (i + 0.5 - 9.7) ** 2 <= 25 for j in range(20)] for i in range(20)])
    np.testing.assert_array_equal(rasterize(c, 20, 20), brute)
    assert coverage(c, 20, 20).sum() == pytest.approx(math.pi * 25, rel=0.02)


@pytest.mark.parametrize('name,area', [
    ('triangle', 3 * math.sqrt(3) / 4 * 20 ** 2),  # equilateral, circumradius R: (3 sqrt3 / 4) R^2
    ('star', 5 * 20 * 9 * math.sin(math.pi / 5)),  # 10 triangles 1/2 R r sin(36 deg), r = 0.45 R
])
def test_polygon_coverage_matches_area_and_mask(name, area):
    spec = ShapeSpec(label=SHAPES_CLASSES.index(name), cx=32.0, cy=31.0, radius=20.0, angle=0.3)
    cover, mask = coverage(spec, 64, 64), rasterize(spec, 64, 64)
    assert cover.sum() == pytest.approx(area, rel=0.01)
    assert mask.sum() == pytest.approx(area, rel=0.03)
    assert (cover[mask] > 0).all() and (cover[~mask] < 1).all()  # mask and image come from one geometry
    assert inside(spec, np.array(32.0), np.array(31.0))  # the centre is inside, a far corner is not
    assert not inside(spec, np.array(1.0), np.array(1.0))


# ----------------------------------------------------------------------------- determinism
def test_determinism_seed_and_split_independence(data, tmp_path):
    root, _ = data
    base = _hashes(root)
    assert len(base) == 2 * (4 * 10 + 3 + 3 + 3 * 4 + 2) + 1  # 2 domains, meta file
    make_shapes_dataset(str(tmp_path / 'a'), **ARGS)
    assert _hashes(str(tmp_path / 'a')) == base
    other = _hashes(make_shapes_dataset(str(tmp_path / 'b'), **dict(ARGS, seed=1))['root'])
    jpgs = [k for k in base if k.endswith('.jpg')]
    assert all(other[k] != base[k] for k in jpgs)
    fewer = _hashes(make_shapes_dataset(str(tmp_path / 'c'), **dict(ARGS, num_test=2))['root'])
    train = [k for k in base if any(t in k for t in ('/0000', 'train'))]
    assert len(train) == 2 * (4 * 6 + 2 + 2 + 2 * 4 + 1) and all(fewer[k] == base[k] for k in train)
    kept_test = [k for k in base if '/10000' in k and int(osp.basename(k)[:6]) < 100002]
    assert len(kept_test) == 2 * 2 * 4 and all(fewer[k] == base[k] for k in kept_test)
    assert image_id('train', 5) == '000005' and image_id('test', 5) == '100005'


# ----------------------------------------------------------------------------- format
def test_voc_files_are_valid_and_consistent(data):
    root, manifest = data
    pal = voc_palette()
    # hand-checked entries of the bit-interleaved VOC colour map
    assert pal[1].tolist() == [128, 0, 0] and pal[2].tolist() == [0, 128, 0] and pal[4].tolist() == [0, 0, 128]
    assert pal[15].tolist() == [192, 128, 128] and pal[255].tolist() == [224, 224, 192]
    for dom in ('source', 'target'):
        voc = osp.join(root, dom)
        assert manifest['domain_roots'][dom] == voc
        assert _ids(voc, 'train') == [f'{i:06d}' for i in range(6)] == _ids(voc, 'trainval')
        assert _ids(voc, 'test') == [f'{100000 + i:06d}' for i in range(4)]
        n_obj = {'train': 0, 'test': 0}
        for split in ('train', 'test'):
            with open(osp.join(voc, 'ImageSets', 'Segmentation', f'{split}.txt')) as f:
                assert f.read().split() == _ids(voc, split)
            with open(osp.join(voc, f'image_labels_{split}.txt')) as f:
                img_labels = {p[0]: p[1:] for p in (line.split() for line in f)}
            cls_files = {}
            for c in SHAPES_CLASSES:
                with open(osp.join(voc, 'ImageSets', 'Main', f'{c}_{split}.txt')) as f:
                    cls_files[c] = {line[:6]: int(line[6:]) for line in f}
            assert list(img_labels) == _ids(voc, split)
            for iid in _ids(voc, split):
                ann = ET.parse(osp.join(voc, 'Annotations', f'{iid}.xml')).getroot()
                assert ann.findtext('filename') == f'{iid}.jpg' and ann.findtext('folder') == dom
                assert ann.findtext('segmented') == '1'
                with Image.open(osp.join(voc, 'JPEGImages', f'{iid}.jpg')) as im:
                    assert im.format == 'JPEG' and im.mode == 'RGB'
                    assert im.size == (int(ann.findtext('size/width')), int(ann.findtext('size/height'))) \
                        == (128, 128) and ann.findtext('size/depth') == '3'
                pngs = {}
                for sub in ('SegmentationClass', 'SegmentationObject'):
                    with Image.open(osp.join(voc, sub, f'{iid}.png')) as im:
                        assert im.mode == 'P' and im.size == (128, 128)
                        assert np.array_equal(np.array(im.getpalette(), dtype=np.uint8).reshape(-1, 3), pal)
                        pngs[sub] = np.asarray(im)
                objs = ann.findall('object')
                assert 1 <= len(objs) <= 3
                n_obj[split] += len(objs)
                inst, cls = pngs['SegmentationObject'], pngs['SegmentationClass']
                assert set(np.unique(inst).tolist()) == set(range(len(objs) + 1))  # no 255, every object seen
                names = []
                for k, obj in enumerate(objs, start=1):
                    name = obj.findtext('name')
                    names.append(name)
                    assert obj.findtext('difficult') == '0' and obj.findtext('pose') == 'Unspecified'
                    assert obj.findtext('truncated') == '0'
                    ys, xs = np.nonzero(inst == k)
                    box = [int(obj.findtext(f'bndbox/{t}')) for t in ('xmin', 'ymin', 'xmax', 'ymax')]
                    assert box == [xs.min() + 1, ys.min() + 1, xs.max() + 1, ys.max() + 1]  # VOC: 1-based
                    assert 1 <= box[0] <= box[2] <= 128 and 1 <= box[1] <= box[3] <= 128
                    assert (cls[inst == k] == SHAPES_CLASSES.index(name) + 1).all()
                assert (cls[inst == 0] == 0).all()
                assert img_labels[iid] == [c for c in SHAPES_CLASSES if c in names]
                assert all(cls_files[c][iid] == (1 if c in names else -1) for c in SHAPES_CLASSES)
        assert manifest['counts'][dom] == dict(train=6, test=4, train_objects=n_obj['train'],
                                               test_objects=n_obj['test'])


def test_mmdetection_voc_dataset_reads_the_same_boxes(data):
    from mmdet.datasets import VOCDataset
    root, manifest = data
    for dom in ('source', 'target'):
        voc = osp.join(root, dom)
        for split in ('train', 'test'):
            ds = VOCDataset(data_root=voc, ann_file=f'ImageSets/Main/{split}.txt', data_prefix=dict(sub_data_root=''),
                            metainfo=dict(classes=SHAPES_CLASSES), pipeline=[], test_mode=True)
            assert len(ds) == manifest['counts'][dom][split]
            total = 0
            for i in range(len(ds)):
                info = ds.get_data_info(i)
                gt = load_voc_instances(voc, info['img_id'])
                assert osp.samefile(info['img_path'], osp.join(voc, 'JPEGImages', f'{info["img_id"]}.jpg'))
                np.testing.assert_array_equal(np.array([x['bbox'] for x in info['instances']]), gt['boxes'])
                assert [x['bbox_label'] for x in info['instances']] == gt['labels'].tolist()
                assert all(x['ignore_flag'] == 0 for x in info['instances'])
                # MMDetection's boxes are the 0-based inclusive pixel extent of the reader's masks
                for box, mask in zip(gt['boxes'], gt['masks']):
                    ys, xs = np.nonzero(mask)
                    assert box.tolist() == [xs.min(), ys.min(), xs.max(), ys.max()]
                total += len(info['instances'])
            assert total == manifest['counts'][dom][f'{split}_objects']


def test_load_voc_instances_errors(data, tmp_path):
    root, _ = data
    voc = osp.join(root, 'source')
    with pytest.raises(FileNotFoundError, match=r'Annotations.*999999\.xml does not exist'):
        load_voc_instances(voc, '999999')
    with pytest.raises(ValueError, match=r"<name> '(circle|square|triangle|star)', expected one of \('dog',\)"):
        load_voc_instances(voc, '000000', classes=('dog',))
    os.makedirs(tmp_path / 'Annotations')
    with open(osp.join(voc, 'Annotations', '000000.xml')) as f:
        (tmp_path / 'Annotations' / '000000.xml').write_text(f.read())
    with pytest.raises(FileNotFoundError, match=r'SegmentationObject.*000000\.png does not exist'):
        load_voc_instances(str(tmp_path), '000000')


# ----------------------------------------------------------------------------- the two domains
def _object_hues(voc):
    """(class name, hue in degrees) of every object's mean colour over its mask shrunk by 2 px."""
    out = []
    for iid in _all_ids(voc):
        img = np.asarray(Image.open(osp.join(voc, 'JPEGImages', f'{iid}.jpg')), dtype=np.float64) / 255
        gt = load_voc_instances(voc, iid)
        for mask, label in zip(gt['masks'], gt['labels']):
            core = mask.copy()
            for _ in range(2):
                core[1:] &= core[:-1].copy(); core[:-1] &= core[1:].copy()  # noqa: E702
                core[:, 1:] &= core[:, :-1].copy(); core[:, :-1] &= core[:, 1:].copy()  # noqa: E702
            if core.sum() >= 10:
                out.append((SHAPES_CLASSES[label], 360 * colorsys.rgb_to_hsv(*img[core].mean(0))[0]))
    return out


def _hue_dist(a, b):
    d = abs(a - b) % 360
    return min(d, 360 - d)


def _laplacian_energy(voc):
    vals = []
    for iid in _all_ids(voc):
        g = np.asarray(Image.open(osp.join(voc, 'JPEGImages', f'{iid}.jpg')).convert('L'), dtype=np.float64)
        vals.append(np.abs(4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]).mean())
    return np.array(vals)


def test_domains_differ_and_source_hues_are_class_typical(data):
    root, _ = data
    src, tgt = osp.join(root, 'source'), osp.join(root, 'target')
    # Source: every object's hue is its class's typical hue (jitter +-12 deg, plus JPEG/noise slack).
    hues = _object_hues(src)
    assert len(hues) >= 10
    assert all(_hue_dist(h, SOURCE_HUES[c]) < 20 for c, h in hues), hues
    # Target: the classes wear other classes' hues, so most objects sit nearer their target hue.
    hues_t = _object_hues(tgt)
    near = [_hue_dist(h, TARGET_HUES[c]) < _hue_dist(h, SOURCE_HUES[c]) for c, h in hues_t]
    assert np.mean(near) > 0.8
    # Textured backgrounds + sensor noise: far more high-frequency energy in every target image.
    e_src, e_tgt = _laplacian_energy(src), _laplacian_energy(tgt)
    assert e_tgt.min() > e_src.max() and e_tgt.mean() > 2.5 * e_src.mean()
    # Source backgrounds are light; target ones are mid-tone.
    bg = {}
    for name, voc in (('source', src), ('target', tgt)):
        vals = []
        for iid in _all_ids(voc):
            img = np.asarray(Image.open(osp.join(voc, 'JPEGImages', f'{iid}.jpg')), dtype=np.float64)
            vals.append(img[~load_voc_instances(voc, iid)['masks'].any(0)].mean())
        bg[name] = np.array(vals)
    assert bg['source'].min() > 190 and bg['target'].mean() < bg['source'].mean() - 50


def test_mild_target_is_added_beside_and_sits_between_the_domains(data, tmp_path):
    root, _ = data
    other = str(tmp_path / 'three')
    first = make_shapes_dataset(other, **ARGS)
    before = _hashes(other)
    three = make_shapes_dataset(other, **ARGS, domains=('source', 'target', 'target_mild'))
    after = _hashes(other)
    # Adding the mild domain leaves the other two byte-identical (and equal to a fresh two-domain dataset).
    assert {k: v for k, v in after.items() if not k.startswith('target_mild') and k != 'shapes_meta.json'} == \
        {k: v for k, v in before.items() if k != 'shapes_meta.json'}
    assert three['fingerprints']['source'] == first['fingerprints']['source']
    assert three['domains'] == ['source', 'target', 'target_mild']
    mild, src, tgt = osp.join(other, 'target_mild'), osp.join(root, 'source'), osp.join(root, 'target')
    for iid in _all_ids(mild):  # boxes are the tight boxes of the visible masks, as in the other domains
        gt = load_voc_instances(mild, iid)
        for mask, box in zip(gt['masks'], gt['boxes']):
            ys, xs = np.nonzero(mask)
            assert box.tolist() == [xs.min(), ys.min(), xs.max(), ys.max()]  # 0-based inclusive
    # Colour carries no class information: few objects keep their class's source hue (random hue: ~11 %).
    hues = _object_hues(mild)
    assert len(hues) >= 10
    assert np.mean([_hue_dist(h, SOURCE_HUES[c]) < 20 for c, h in hues]) < 0.4
    # Texture and noise: more high-frequency energy than the source, less than the strong target.
    e_src, e_mild, e_tgt = _laplacian_energy(src), _laplacian_energy(mild), _laplacian_energy(tgt)
    assert e_src.mean() < e_mild.mean() < e_tgt.mean()


# ----------------------------------------------------------------------------- caching and arguments
def test_second_call_reuses_and_other_params_raise(tmp_path):
    root = str(tmp_path / 'ds')
    first = make_shapes_dataset(root, num_train=3, num_test=2, domains=('source',))
    stamps = {p: os.stat(osp.join(root, p)).st_mtime_ns for p in _hashes(root)}
    again = make_shapes_dataset(root, num_train=3, num_test=2, domains=['source'])
    assert again == first
    assert {p: os.stat(osp.join(root, p)).st_mtime_ns for p in _hashes(root)} == stamps
    with pytest.raises(FileExistsError, match=r"shapes_meta\.json records a dataset made with params .*"
                                              r"'num_train': 3.*overwrite=True"):
        make_shapes_dataset(root, num_train=4, num_test=2, domains=('source',))
    # a new domain with the same parameters is added; the finished one is kept untouched
    both = make_shapes_dataset(root, num_train=3, num_test=2)
    assert both['domains'] == ['source', 'target'] and both['fingerprints']['source'] == first['fingerprints']['source']
    assert all(os.stat(osp.join(root, p)).st_mtime_ns == t for p, t in stamps.items() if p != 'shapes_meta.json')
    # a tampered file is noticed and regenerated byte-identically
    jpg = osp.join(root, 'source', 'JPEGImages', '000000.jpg')
    good = open(jpg, 'rb').read()
    with open(jpg, 'wb') as f:
        f.write(b'garbage')
    with pytest.warns(UserWarning, match='no longer match'):
        make_shapes_dataset(root, num_train=3, num_test=2)
    assert open(jpg, 'rb').read() == good
    # overwrite=True replaces the dataset: no stale files from the larger one remain
    new = make_shapes_dataset(root, num_train=2, num_test=1, seed=5, domains=('target',), overwrite=True)
    assert new['counts']['target']['train'] == 2 and not osp.exists(osp.join(root, 'source'))
    assert sorted(os.listdir(osp.join(root, 'target', 'JPEGImages'))) == ['000000.jpg', '000001.jpg', '100000.jpg']
    with open(osp.join(root, 'shapes_meta.json')) as f:
        meta = json.load(f)
    assert meta['complete'] and meta['params']['seed'] == 5 and meta['domains'] == ['target']
    # a dataset from an older generator version is ours: regenerated with a warning, no overwrite needed
    version = meta['params']['version']
    meta['params']['version'] = version - 1
    with open(osp.join(root, 'shapes_meta.json'), 'w') as f:
        json.dump(meta, f)
    with pytest.warns(UserWarning, match=f'generator version {version - 1}, this is version {version}'):
        assert make_shapes_dataset(root, num_train=2, num_test=1, seed=5, domains=('target',)) == new
    with open(osp.join(root, 'shapes_meta.json')) as f:
        assert json.load(f)['params']['version'] == version


def test_foreign_folder_and_bad_arguments_raise(tmp_path):
    os.makedirs(tmp_path / 'source')
    with pytest.raises(FileExistsError, match=r"holds \['source'\] but no shapes_meta\.json"):
        make_shapes_dataset(str(tmp_path), num_train=1, num_test=0, domains=('source',))
    for kw, field in ((dict(num_train=-1), 'num_train'), (dict(image_size=32), 'image_size'),
                      (dict(max_objects=0), 'max_objects'), (dict(seed=1.5), 'seed')):
        with pytest.raises(ValueError, match=f'{field} must be an integer'):
            make_shapes_dataset(str(tmp_path / 'x'), **kw)
    with pytest.raises(ValueError, match='domains must be'):
        make_shapes_dataset(str(tmp_path / 'x'), domains='source')
    with pytest.raises(ValueError, match='domains must be'):
        make_shapes_dataset(str(tmp_path / 'x'), domains=('source', 'clipart'))
    assert not osp.exists(tmp_path / 'x')
