# Cityscapes -> Foggy Cityscapes in one VOC-style folder (the da-faster-rcnn-PyTorch conversion, folder name
# `fogycityscapes` as the official code spells it): source `train_s` (Cityscapes train, 2975, boxes), target
# `train_t` (Foggy train, 2975, image-level labels from the XML), test `test_t` (Foggy val, 500). 8 classes; the XML
# names must match. Other classes and difficult objects dropped. Scales: short side 800:32:1024, long side <= 2048.
data_root = 'data/'
classes = ('person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle', 'bicycle')
metainfo = dict(classes=classes)
train_scales = [(2048, s) for s in range(800, 1025, 32)]  # short side 800:32:1024, long side <= 2048
test_scale = (2048, 1024)

source_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.RandomChoiceResize', scales=train_scales, keep_ratio=True, resize_type='mmdet.Resize'),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs'),
]
target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.RandomChoiceResize', scales=train_scales, keep_ratio=True, resize_type='mmdet.Resize'),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='PackDetInputsWithImageLabels'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=test_scale, keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]

source_train = dict(
    type='CrossDomainVOCDataset', difficult='drop', unknown_classes='ignore', data_root=data_root + 'fogycityscapes/',
    ann_file='ImageSets/Main/train_s.txt', data_prefix=dict(sub_data_root=''), metainfo=metainfo,
    filter_cfg=dict(filter_empty_gt=True), pipeline=source_pipeline)
target_train = dict(
    type='WslImageLabelDataset',
    label_source='xml',  # labels = distinct non-difficult <name>s; or label_source='file' with '<id> <class> ...'
    data_root=data_root + 'fogycityscapes/',
    ann_file='ImageSets/Main/train_t.txt',
    metainfo=metainfo,
    filter_cfg=dict(filter_empty_gt=True),
    pipeline=target_pipeline)
# Target images WITH boxes (oracle training): empty images filtered, difficult dropped.
target_train_boxes = dict(
    type='CrossDomainVOCDataset', difficult='drop', data_root=data_root + 'fogycityscapes/',
    ann_file='ImageSets/Main/train_t.txt', data_prefix=dict(sub_data_root=''), metainfo=metainfo,
    filter_cfg=dict(filter_empty_gt=True), pipeline=source_pipeline)
target_test = dict(
    type='CrossDomainVOCDataset', difficult='ignore', data_root=data_root + 'fogycityscapes/',
    ann_file='ImageSets/Main/test_t.txt', data_prefix=dict(sub_data_root=''), metainfo=metainfo,
    test_mode=True, pipeline=test_pipeline)

train_dataloader = dict(
    batch_size=4,  # per GPU: 2 source + 2 target
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DomainPairedSampler', batch_size=4, source_ratio=[1, 1], group_by_aspect_ratio=True),
    dataset=dict(type='DomainPairedDataset', source=source_train, target=target_train))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=target_test)
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='mmdet.VOCMetric', metric='mAP', iou_thrs=0.5, eval_mode='11points'),  # the paper's AP50 (VOC07)
    dict(type='mmdet.VOCMetric', metric='mAP', iou_thrs=0.5, eval_mode='area', prefix='pascal_voc_area'),
]
test_evaluator = val_evaluator + [dict(type='CorLocMetric', iou_thr=0.5)]
