# Instance segmentation on BBAM pseudo labels of the synthetic shapes SOURCE train images, tested on the exact masks
# of the SOURCE test images. Paths are relative to data_root:
#   shapes/source/                    the VOC-layout shapes domain (`wsl data shapes --out data/shapes`)
#   bbam_shapes_labels/               OUT of `python tools/bbam_make_labels.py MAPS --out data/bbam_shapes_labels`
#                                     (instances_strict.json = T_fg, instances_loose.json = T_loose)
#   shapes/source/instances_test.json the exact test masks as COCO, written by
#       python -c "from wsl.segmentation.datasets import write_voc_instances_coco as w; \
#                  w('data/shapes/source', 'test', 'data/shapes/source/instances_test.json', \
#                    ('circle', 'square', 'triangle', 'star'))"
# (wsl.segmentation.downstream.train_downstream_shapes does all of this for a given labels folder.)
data_root = 'data/'
shapes_voc = 'shapes/source/'
pseudo_dir = 'bbam_shapes_labels/'
classes = ('circle', 'square', 'triangle', 'star')
image_size = (128, 128)

# LoadPairedAnnotations puts strict + loose masks in one PairedBitmapMasks, so Resize/RandomFlip move both alike.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPairedAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.Resize', scale=image_size, keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs'),
]
# Ground-truth masks loaded after Resize stay at the original size (what InstanceMaskAPMetric compares with).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=image_size, keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='BBAMPseudoMaskDataset',
        data_root=data_root,
        ann_file=pseudo_dir + 'instances_strict.json',
        loose_ann_file=pseudo_dir + 'instances_loose.json',
        data_prefix=dict(img=shapes_voc + 'JPEGImages/'),
        metainfo=dict(classes=classes),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmdet.CocoDataset',
        data_root=data_root,
        ann_file=shapes_voc + 'instances_test.json',
        data_prefix=dict(img=shapes_voc + 'JPEGImages/'),
        metainfo=dict(classes=classes),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# COCO-API mask AP with AP25/AP70 and ABO (specs/bbam.md §4.3); ground truth from the test samples' masks.
val_evaluator = dict(type='InstanceMaskAPMetric')
test_evaluator = val_evaluator
