"""BBAMPseudoMaskDataset + LoadPairedAnnotations: strict and loose pseudo masks stay paired through flip/resize;
PairedBitmapMasks ops; exact VOC masks exported as COCO ground truth."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from PIL import Image
from pycocotools import mask as mask_utils

from wsl.registry import DATASETS
from wsl.segmentation.datasets import BBAMPseudoMaskDataset, PairedBitmapMasks, voc_instances_to_coco
from wsl.utils import register_all_modules

CLASSES = ('circle', 'square')
H, W = 30, 40


def _rle(m):
    r = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
    r['counts'] = r['counts'].decode('ascii')
    return r


def _masks():
    """Image 1: two asymmetric instances (strict ⊂ loose); image 2: one instance."""
    s1 = np.zeros((H, W), bool)
    s1[5:12, 3:9] = True
    s1[12, 3] = True  # an asymmetric tail so a wrong flip shows
    l1 = np.zeros((H, W), bool)
    l1[3:15, 2:14] = True
    s2 = np.zeros((H, W), bool)
    s2[18:26, 20:35] = True
    l2 = s2.copy()
    l2[16:28, 19:37] = True
    s3 = np.zeros((H, W), bool)
    s3[2:10, 2:10] = True
    return [(1, 1, 1, s1, l1), (2, 1, 2, s2, l2), (3, 2, 1, s3, s3 | np.roll(s3, 3, axis=1))]


def _write(root, drop_loose_ids=(), loose_category=None):
    images = [dict(id=1, file_name='a.jpg', height=H, width=W), dict(id=2, file_name='b.jpg', height=H, width=W)]
    cats = [dict(id=i + 1, name=n) for i, n in enumerate(CLASSES)]
    strict, loose = [], []
    for ann_id, img_id, cat, s, lo in _masks():
        ys, xs = np.nonzero(s)
        box = [float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)]
        strict.append(dict(id=ann_id, image_id=img_id, category_id=cat, segmentation=_rle(s), area=float(s.sum()),
                           bbox=box, iscrowd=0))
        if ann_id not in drop_loose_ids:
            loose.append(dict(id=ann_id, image_id=img_id, category_id=loose_category or cat, segmentation=_rle(lo),
                              area=float(lo.sum()), bbox=box, iscrowd=0))
    for name, anns in (('strict', strict), ('loose', loose)):
        with open(osp.join(root, f'instances_{name}.json'), 'w') as f:
            json.dump(dict(images=images, annotations=anns, categories=cats), f)
    rng = np.random.default_rng(0)
    for name in ('a', 'b'):
        Image.fromarray(rng.integers(0, 255, (H, W, 3), dtype=np.uint8)).save(osp.join(root, name + '.jpg'))


def _dataset(root, pipeline=()):
    register_all_modules()
    return DATASETS.build(dict(type='BBAMPseudoMaskDataset', data_root=str(root), ann_file='instances_strict.json',
                               loose_ann_file='instances_loose.json', data_prefix=dict(img=''),
                               metainfo=dict(classes=CLASSES), pipeline=list(pipeline)))


PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPairedAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.Resize', scale=(80, 60), keep_ratio=True),  # x2
    dict(type='mmdet.RandomFlip', prob=1.0, direction='horizontal'),
    dict(type='mmdet.PackDetInputs'),
]


def test_strict_and_loose_masks_get_the_same_resize_and_flip(tmp_path):
    _write(tmp_path)
    ds = _dataset(tmp_path, PIPELINE)
    assert len(ds) == 2 and ds.num_unpaired_images == 0
    info = ds.get_data_info(0)
    assert info['loose_paired'] and all('loose_mask' in inst for inst in info['instances'])
    sample = ds[0]['data_samples']
    masks = sample.gt_instances.masks
    assert isinstance(masks, PairedBitmapMasks) and masks.masks.shape == (2, 60, 80)

    def expected(m):  # nearest x2 upscale, then horizontal flip
        return np.flip(np.repeat(np.repeat(m, 2, 0), 2, 1), 1)

    for k, (_, img_id, _, s, lo) in enumerate(m for m in _masks() if m[1] == 1):
        assert np.array_equal(masks.masks[k].astype(bool), expected(s))
        assert np.array_equal(masks.loose.masks[k].astype(bool), expected(lo))
    assert (masks.loose.masks >= masks.masks).all()
    # boxes moved the same way: x1' = 80 - 2 * x2
    assert torch.allclose(sample.gt_instances.bboxes.tensor[0], torch.tensor([80.0 - 18, 10, 80.0 - 6, 26]))


def test_an_image_without_loose_partners_falls_back_to_plain_masks(tmp_path):
    _write(tmp_path, drop_loose_ids=(3, ))
    ds = _dataset(tmp_path, PIPELINE)
    assert ds.num_unpaired_images == 1
    assert isinstance(ds[0]['data_samples'].gt_instances.masks, PairedBitmapMasks)
    plain = ds[1]['data_samples'].gt_instances.masks
    assert not isinstance(plain, PairedBitmapMasks) and plain.masks.shape == (1, 60, 80)
    assert not ds.get_data_info(1)['loose_paired']


def test_inconsistent_files_are_clear_errors(tmp_path):
    _write(tmp_path, loose_category=2)
    with pytest.raises(ValueError, match='category'):
        _dataset(tmp_path)
    with pytest.raises(FileNotFoundError, match='loose_ann_file'):
        BBAMPseudoMaskDataset(data_root=str(tmp_path), ann_file='instances_strict.json', loose_ann_file='nope.json',
                              data_prefix=dict(img=''), metainfo=dict(classes=CLASSES))


def test_paired_masks_follow_indexing_crop_pad_and_instance_data():
    strict = np.zeros((3, 8, 10), np.uint8)
    loose = np.zeros((3, 8, 10), np.uint8)
    for k in range(3):
        strict[k, k:k + 2, k:k + 3] = 1
        loose[k, k:k + 4, k:k + 5] = 1
    pm = PairedBitmapMasks(strict, 8, 10, loose)
    sub = pm[np.array([2, 0])]
    assert isinstance(sub, PairedBitmapMasks)
    assert np.array_equal(sub.masks, strict[[2, 0]]) and np.array_equal(sub.loose.masks, loose[[2, 0]])
    crop = pm.crop(np.array([1, 1, 7, 6]))
    assert np.array_equal(crop.loose.masks, loose[:, 1:6, 1:7])
    pad = pm.pad((12, 12))
    assert pad.loose.masks.shape == (3, 12, 12) and pad.loose.masks.sum() == loose.sum()
    inst = InstanceData(masks=pm, labels=torch.tensor([0, 1, 0]))
    kept = inst[inst.labels == 0]  # InstanceData indexes through __getitem__ + cat
    assert isinstance(kept.masks, PairedBitmapMasks)
    assert np.array_equal(kept.masks.loose.masks, loose[[0, 2]])
    assert np.array_equal(pm.crop_and_resize(np.array([[0.0, 0.0, 10.0, 8.0]]), (8, 10), np.array([1])).masks,
                          strict[[1]])  # mask targets come from the strict masks
    with pytest.raises(ValueError, match='same'):
        PairedBitmapMasks(strict, 8, 10, loose[:2])


def test_exact_voc_masks_as_coco_ground_truth(shapes_root):
    from wsl.datasets.synthetic.shapes import SHAPES_CLASSES, load_voc_instances
    voc = osp.join(shapes_root, 'source')
    coco = voc_instances_to_coco(voc, ['100000', '100001'], SHAPES_CLASSES)
    assert [img['file_name'] for img in coco['images']] == ['100000.jpg', '100001.jpg']
    anns = [a for a in coco['annotations'] if a['image_id'] == coco['images'][0]['id']]
    inst = load_voc_instances(voc, '100000')
    assert len(anns) == len(inst['labels'])
    for a, m, b, lab in zip(anns, inst['masks'], inst['boxes'], inst['labels']):
        rle = dict(a['segmentation'], counts=a['segmentation']['counts'].encode('ascii'))
        assert np.array_equal(mask_utils.decode(rle).astype(bool), m)
        assert a['category_id'] == lab + 1 and a['area'] == m.sum()
        assert a['bbox'] == [b[0], b[1], b[2] - b[0] + 1, b[3] - b[1] + 1]


def test_voc_config_train_pipeline_keeps_masks_paired(tmp_path):
    from mmengine.config import Config

    from wsl.testing import REPO
    _write(tmp_path)
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'bbam',
                                   'bbam-maskrcnn_r101-caffe_fpn_4xb2-20k_voc12-trainaug_code-parity.py'))
    ds = _dataset(tmp_path, cfg.train_dataloader.dataset.pipeline)
    sample = ds[0]['data_samples']
    masks = sample.gt_instances.masks
    h, w = sample.img_shape
    assert min(h, w) in (416, 440, 464, 488, 512) and max(h, w) <= 800  # the official multi-scale training sizes
    assert isinstance(masks, PairedBitmapMasks) and masks.masks.shape == (2, h, w)
    assert (masks.loose.masks >= masks.masks).all() and masks.masks.sum() > 0
    scale = h / H
    assert masks.masks[0].sum() == pytest.approx(_masks()[0][3].sum() * scale**2, rel=0.1)


def test_coco_config_train_pipeline_and_evaluator(tmp_path):
    """The COCO downstream config: BBAM labels of train2017 through its pipeline (800/1333 resize, masks paired)
    and the evaluator reading the val ground truth from its COCO JSON."""
    from mmengine.config import Config

    from wsl.registry import METRICS
    from wsl.testing import REPO
    _write(tmp_path)
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'bbam', 'bbam-maskrcnn_r101-caffe_fpn_8xb2-90k_coco.py'))
    assert cfg.model.roi_head.bbox_head.num_classes == 80 == cfg.model.roi_head.mask_head.num_classes
    assert cfg.train_dataloader.dataset.type == 'BBAMPseudoMaskDataset'
    ds = _dataset(tmp_path, cfg.train_dataloader.dataset.pipeline)
    sample = ds[1]['data_samples']
    h, w = sample.img_shape
    assert (h, w) == (800, round(W * 800 / H))  # short side 800 (long side 1067 < 1333)
    masks = sample.gt_instances.masks
    assert isinstance(masks, PairedBitmapMasks) and (masks.loose.masks >= masks.masks).all()
    metric_cfg = dict(cfg.val_evaluator, ann_file=str(tmp_path / 'instances_strict.json'))
    metric = METRICS.build(metric_cfg)
    assert metric.ann_file.endswith('instances_strict.json')
    assert cfg.val_evaluator.ann_file == cfg.val_dataloader.dataset.data_root + cfg.val_dataloader.dataset.ann_file
