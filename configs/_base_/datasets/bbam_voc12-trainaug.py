# PASCAL VOC 2012 "train_aug" (10,582 images: VOC 2012 seg train + SBD, boxes from VOC2012/Annotations/*.xml):
# the detector trains on its boxes and BBAM labels its images. Put the list at
# data/VOCdevkit/VOC2012/ImageSets/Segmentation/train_aug.txt (one id a line). Validation: VOC 2012 val boxes.
# Official config: train short side in {480, 512, ..., 800} (max 1333), test short side 800 (max 1333).
bbam_voc_root = 'data/VOCdevkit/VOC2012/'
bbam_voc_classes = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
                    'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train',
                    'tvmonitor')
bbam_voc_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.RandomChoiceResize', scales=[(1333, s) for s in range(480, 801, 32)], keep_ratio=True,
         resize_type='mmdet.Resize'),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs'),
]
bbam_voc_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='mmdet.AspectRatioBatchSampler'),
    dataset=dict(
        type='WslVOCDataset',
        data_root=bbam_voc_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        data_prefix=dict(sub_data_root=''),
        metainfo=dict(classes=bbam_voc_classes),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=bbam_voc_train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='WslVOCDataset',
        data_root=bbam_voc_root,
        ann_file='ImageSets/Main/val.txt',
        data_prefix=dict(sub_data_root=''),
        metainfo=dict(classes=bbam_voc_classes),
        test_mode=True,
        pipeline=bbam_voc_test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmdet.VOCMetric', metric='mAP', iou_thrs=0.5, eval_mode='area')
test_evaluator = val_evaluator

# The images BBAM labels: train_aug with the test transform (resize only, no flip), empty images kept.
bbam_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='mmdet.PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
bbam_dataset = dict(
    type='WslVOCDataset',
    data_root=bbam_voc_root,
    ann_file='ImageSets/Segmentation/train_aug.txt',
    data_prefix=dict(sub_data_root=''),
    metainfo=dict(classes=bbam_voc_classes),
    test_mode=True,
    pipeline=bbam_pipeline)
