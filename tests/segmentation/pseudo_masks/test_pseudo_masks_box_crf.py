"""Box + dense CRF baseline (BBAM's post-processing on boxes) and the building blocks of the BBAM demo section."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

import wsl.benchmarks.bbam as bench
from wsl.datasets.synthetic.shapes import SHAPES_CLASSES, image_id, make_shapes_dataset
from wsl.segmentation.bbam.generate import make_record, save_bbam_npz, write_meta
from wsl.segmentation.pseudo_masks import (CRF_DEFAULTS, box_crf_masks, box_mask, filled_box_masks,
                                           postprocess_config, zero_bbam_fallback)
from wsl.segmentation.pseudo_masks.postprocess import image_crf


def _iou(a, b):
    return (a & b).sum() / (a | b).sum()


def _disk_scene():
    """A red disk on a light green gradient (+ noise) and its tight box (35 × 35 px, 1005 disk pixels)."""
    rng = np.random.default_rng(0)
    img = np.full((80, 80, 3), 225, np.uint8)
    img[:, :, 1] = np.linspace(180, 240, 80).astype(np.uint8)[None]
    yy, xx = np.mgrid[:80, :80]
    disk = (yy - 40) ** 2 + (xx - 36) ** 2 < 18 ** 2
    img[disk] = (170, 30, 40)
    img = np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)
    ys, xs = np.nonzero(disk)
    return img, disk, np.array([[xs.min(), ys.min(), xs.max(), ys.max()]], float)


@pytest.mark.parametrize('start', ['box', 'prior'])
@pytest.mark.parametrize('sxy', [80.0, 20.0])  # the paper's CRF and the shapes scaling
def test_crf_pulls_the_filled_box_towards_the_disk(start, sxy):
    img, disk, boxes = _disk_scene()
    box = filled_box_masks(boxes, disk.shape)[0]
    box_iou = _iou(box, disk)
    assert not (disk & ~box).any() and box_iou == disk.sum() / box.sum() == 1005 / 35 ** 2  # ≈ π/4 (discrete)
    cfg = postprocess_config('code-parity', crf=dict(bilateral_sxy=sxy))
    r = box_crf_masks(img, boxes, cfg, start)
    strict, loose = r['strict'][0], r['loose'][0]
    assert r['strict'].shape == r['loose'].shape == r['ignore'].shape == (1, 80, 80)
    assert not (strict & ~box).any() and not (loose & ~box).any()  # clipped to the box
    assert np.array_equal(r['ignore'][0], loose & ~strict)
    assert _iou(strict, disk) > box_iou + 0.1 and _iou(strict, disk) > 0.9
    assert _iou(loose, disk) > box_iou + 0.1


def test_prior_start_is_the_zero_map_fallback_and_an_object_filling_its_box_is_kept():
    img, disk, boxes = _disk_scene()
    cfg = postprocess_config('code-parity')
    r = box_crf_masks(img, boxes, cfg, 'prior')
    box = box_mask(boxes[0], disk.shape)
    expected = zero_bbam_fallback(image_crf(img, cfg), box, cfg) & box
    assert np.array_equal(r['strict'][0], expected) and np.array_equal(r['loose'][0], expected)
    assert r['fallbacks'] == ['zero']
    # a uniform square that is its own box: the CRF has nothing to remove
    sq = np.full((64, 64, 3), 230, np.uint8)
    sq[20:44, 10:40] = (30, 60, 200)
    sq_box = np.array([[10, 20, 39, 43]], float)
    for start in ('box', 'prior'):
        m = box_crf_masks(sq, sq_box, cfg, start)['strict'][0]
        assert _iou(m, box_mask(sq_box[0], (64, 64))) > 0.95


def test_box_crf_rejects_bad_input():
    img, _, boxes = _disk_scene()
    with pytest.raises(ValueError, match='start'):
        box_crf_masks(img, boxes, None, 'disk')
    with pytest.raises(ValueError, match='uint8'):
        box_crf_masks(img.astype(np.float32), boxes)
    empty = box_crf_masks(img, np.zeros((0, 4)))
    assert empty['strict'].shape == (0, 80, 80) and empty['fallbacks'] == []


def test_shapes_postprocess_config_scales_blur_and_crf_only():
    cfg = bench.shapes_postprocess_config()
    assert (cfg['blur_base'], cfg['blur_scale']) == (4.0, 12.0)
    assert cfg['crf'] == dict(CRF_DEFAULTS, bilateral_sxy=20.0)
    assert (cfg['th_fg_strict'], cfg['th_fg_loose'], cfg['fg_threshold']) == (0.85, 0.2, 0.9)
    assert bench.shapes_postprocess_config(dict(crf=None))['crf'] is None  # the "no CRF" row
    assert bench.row_key('bbam (box + cls), no CRF') == 'bbam_box_and_cls_no_CRF'


def test_baseline_rows_on_shapes(tmp_path):
    make_shapes_dataset(str(tmp_path), num_train=3, num_test=1, image_size=64, seed=0, domains=('source', ))
    voc = osp.join(str(tmp_path), 'source')
    ids = [image_id('train', i) for i in range(3)]
    rows = bench.baseline_rows(voc, ids)
    assert list(rows) == ['filled boxes', 'GrabCut', *bench.BOX_CRF_ROWS]
    for r in rows.values():
        assert r['images'] == 3 and r['instances'] == rows['filled boxes']['instances'] > 0
        assert 0.0 <= r['mIoU'] <= 1.0
    for name in bench.BOX_CRF_ROWS:  # the CRF improves on the filled boxes on the same images
        assert rows[name]['mIoU'] > rows['filled boxes']['mIoU'] + 0.05
        assert rows[name]['ABO'] > rows['filled boxes']['ABO']


def test_demo_detector_reuses_the_detection_sections_checkpoint(tmp_path, monkeypatch):
    import wsl.benchmarks.common as common
    import wsl.benchmarks.faster_rcnn_source_only as fso
    calls = []
    monkeypatch.setattr(common, 'shapes_data', lambda root: root)
    monkeypatch.setattr(fso, 'run_source_only', lambda out, seed, iters: calls.append((out, seed, iters)) or dict(
        checkpoint='trained.pth', data_root='data', source_test_map50=0.5))
    out = str(tmp_path)
    det = bench.demo_detector(out, quick=True)  # nothing there yet: trained in out/detection
    assert calls == [(osp.join(out, 'detection'), 0, fso.QUICK_ITERS)] and det['trained']
    assert det['source_test_map50'] == 0.5 and det['iters'] == fso.QUICK_ITERS
    ckpt = osp.join(out, 'detection', 'faster-rcnn_seed0', f'iter_{fso.QUICK_ITERS}.pth')
    os.makedirs(osp.dirname(ckpt))
    open(ckpt, 'w').close()
    det = bench.demo_detector(out, quick=True)
    assert len(calls) == 1 and not det['trained'] and det['checkpoint'] == ckpt
    assert det['data_root'] == osp.join(out, 'detection', 'data', 'shapes-200-100')
    bench.demo_detector(out, quick=False)  # the full schedule's checkpoint is another file
    assert calls[-1][2] == bench.DEMO_FULL_DETECTOR_ITERS


def test_demo_figures_pick_the_images_with_most_boxes(tmp_path):
    img, disk, boxes = _disk_scene()
    maps_dir = str(tmp_path / 'maps')
    os.makedirs(maps_dir)
    write_meta(maps_dir, dict(classes=list(SHAPES_CLASSES), checkpoint='x'))
    for img_id, n in (('a', 1), ('b', 2), ('c', 2)):
        path = str(tmp_path / f'{img_id}.jpg')
        cv2.imwrite(path, img[..., ::-1])
        maps = np.repeat(disk[None].astype(np.float32), n, 0)
        save_bbam_npz(maps_dir, make_record(img_id, path, (80, 80), np.repeat(boxes, n, 0), np.zeros(n), maps,
                                            np.ones(n), np.full(n, 4.0)))
    figs = bench.demo_figures(maps_dir, str(tmp_path / 'out'), bench.shapes_postprocess_config(), num=2)
    assert [osp.basename(p) for p in figs] == ['bbam_fig5_b.png', 'bbam_fig5_c.png']
    png = cv2.imread(figs[0])
    assert png is not None and png.shape[1] > png.shape[0] > 100  # three panels side by side
