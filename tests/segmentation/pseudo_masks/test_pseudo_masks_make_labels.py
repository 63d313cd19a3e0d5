"""The label maker: outputs, resumability, baselines, proposals, and the two command-line tools."""
import contextlib
import io
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from wsl.segmentation.pseudo_masks import make_labels_config, make_pseudo_labels
from wsl.testing import REPO, last_json, run_tool

CLASSES = ['disc', 'bar']


def _write_maps(root):
    """3 images (64 x 80) with a red disc and a blue bar; maps = blurred object masks; image 2's bar has no BBAM."""
    mdir = osp.join(root, 'maps')
    os.makedirs(mdir)
    os.makedirs(osp.join(root, 'img'))
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:64, :80]
    for k in range(3):
        img = np.full((64, 80, 3), 230, np.uint8)
        disc = (yy - 26) ** 2 + (xx - (24 + 4 * k)) ** 2 < 13 ** 2
        bar = (yy >= 40) & (yy < 58) & (xx >= 48) & (xx < 74)
        img[disc] = (200, 30, 30)
        img[bar] = (30, 40, 190)
        img = np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)
        path = osp.join(root, 'img', f'im{k}.jpg')
        cv2.imwrite(path, cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
        masks = [disc, bar]
        boxes = []
        for m in masks:
            ys, xs = np.nonzero(m)
            boxes.append([xs.min(), ys.min(), xs.max(), ys.max()])
        maps = np.stack([cv2.GaussianBlur(m.astype(np.float32), (0, 0), 3) for m in masks])
        npos = np.array([40, 0 if k == 2 else 25])
        maps[npos == 0] = 0
        np.savez(osp.join(mdir, f'im{k}.npz'), img_id=np.array(f'im{k}'), img_path=np.array(path),
                 ori_shape=np.array([64, 80]), boxes=np.array(boxes, np.float32), labels=np.array([0, 1]),
                 maps=(maps / np.maximum(maps.max((1, 2), keepdims=True), 1e-6)).astype(np.float16),
                 num_positives=npos, strides=np.array([20.0, 20.0], np.float32))
    with open(osp.join(mdir, 'meta.json'), 'w') as f:
        json.dump(dict(classes=CLASSES), f)
    return root


@pytest.fixture
def maps_root(tmp_path):
    return _write_maps(str(tmp_path / 'bbam'))


def _coco(path):
    from pycocotools.coco import COCO
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(path)


def test_make_labels_outputs_and_resume(maps_root, tmp_path):
    out = str(tmp_path / 'labels')
    s1 = make_pseudo_labels(maps_root, out, progress=False)
    assert (s1['images'], s1['instances'], s1['processed'], s1['cached']) == (3, 6, 3, 0)
    assert s1['fallbacks']['zero'] == 1 and s1['zero_bbam'] == 1
    coco = _coco(osp.join(out, 'instances_strict.json'))
    assert len(coco.getAnnIds()) == 6  # one mask per box, the zero-BBAM box included
    for img in coco.dataset['images']:
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[img['id']]))
        assert [a['category_id'] for a in anns] == [1, 2]
        for a in anns:
            m = coco.annToMask(a).astype(bool)
            x, y, w, h = a['bbox']
            assert m.sum() > 0 and not m[:, :int(x)].any() and not m[:int(y)].any()
            assert not m[:, int(x + w):].any() and not m[int(y + h):].any()
        with Image.open(osp.join(out, 'SegmentationClassBBAM', img['file_name'].replace('.jpg', '.png'))) as im:
            lab = np.asarray(im)
            assert im.mode == 'P' and set(np.unique(lab).tolist()) <= {0, 1, 2, 255}
            assert (lab == 1).sum() > 200 and (lab == 2).sum() > 200
    stamp = {f: os.stat(osp.join(out, 'cache', f)).st_mtime_ns for f in os.listdir(osp.join(out, 'cache'))}
    strict1 = open(osp.join(out, 'instances_strict.json')).read()
    # rerun: nothing is redone
    s2 = make_pseudo_labels(maps_root, out, progress=False)
    assert (s2['processed'], s2['cached']) == (0, 3)
    assert {f: os.stat(osp.join(out, 'cache', f)).st_mtime_ns for f in stamp} == stamp
    assert open(osp.join(out, 'instances_strict.json')).read() == strict1
    # an interrupted run (one image unfinished) redoes only that image
    os.remove(osp.join(out, 'cache', 'im1.json'))
    s3 = make_pseudo_labels(maps_root, out, progress=False)
    assert (s3['processed'], s3['cached']) == (1, 2)
    assert open(osp.join(out, 'instances_strict.json')).read() == strict1
    # changed settings invalidate the cache
    cfg = make_labels_config()
    cfg['postprocess']['th_fg_strict'] = 0.9
    s4 = make_pseudo_labels(maps_root, out, cfg, progress=False)
    assert (s4['processed'], s4['cached']) == (3, 0)


def test_baselines_and_builtin_refinement(maps_root, tmp_path):
    box = make_pseudo_labels(maps_root, str(tmp_path / 'box'), make_labels_config(method='box'), progress=False)
    coco = _coco(box['json_strict'])
    a = coco.loadAnns(coco.getAnnIds())[1]  # the bar: its filled box is the bar itself
    assert a['area'] == 18 * 26 == a['bbox'][2] * a['bbox'][3]
    gc = make_pseudo_labels(maps_root, str(tmp_path / 'gc'), make_labels_config(method='grabcut'), workers=2,
                            progress=False)
    assert gc['images'] == 3 and gc['processed'] == 3
    ref = make_pseudo_labels(maps_root, str(tmp_path / 'ref'), make_labels_config(proposals='builtin'),
                             progress=False)
    assert ref['refined_strict'] + ref['refine_skipped'] > 0
    for key in ('strict', 'loose', 'strict_unrefined', 'loose_unrefined'):
        assert len(_coco(ref[f'json_{key}']).getAnnIds()) == 6
    with pytest.raises(FileNotFoundError, match='MCG folder'):
        make_pseudo_labels(maps_root, str(tmp_path / 'x'), make_labels_config(proposals='mcg'), progress=False)


def test_bad_inputs_raise_clear_errors(maps_root, tmp_path):
    with pytest.raises(FileNotFoundError, match='meta.json'):
        make_pseudo_labels(str(tmp_path), str(tmp_path / 'o'), progress=False)
    np.savez(osp.join(maps_root, 'maps', 'im9.npz'), img_id=np.array('im9'))
    with pytest.raises(ValueError, match='im9.npz lacks'):
        make_pseudo_labels(maps_root, str(tmp_path / 'o'), progress=False)
    with pytest.raises(ValueError, match='method must be'):
        make_labels_config(method='sam')


def test_command_line_tools(maps_root, tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    out = str(tmp_path / 'cli')
    p = run_tool([sys.executable, 'tools/bbam_make_labels.py', maps_root, '--out', out, '--no-progress',
                  '--cfg-options', 'postprocess.th_fg_loose=0.3'], env)
    summary = last_json(p.stdout)
    assert summary['images'] == 3 and summary['processed'] == 3 and osp.isfile(summary['json_loose'])
    png = str(tmp_path / 'fig.png')
    p = run_tool([sys.executable, 'tools/bbam_figure.py', maps_root, 'im0', '--out', png], env)
    assert last_json(p.stdout)['boxes'] == 2
    with Image.open(png) as im:
        assert im.size[0] > 600 and im.format == 'PNG'
