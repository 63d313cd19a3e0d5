# VOC2007+2012 trainval (20 classes, difficult objects KEPT as ground truth, as the official 20-class loader)
# -> Clipart1k (image-level labels from the XML names, difficult dropped). Default split = Clipart_all:
# train (labels) and test (boxes) on the same 1000 images, `traintest` (= train U test; build it with
# tools/prepare_data/cross_domain_voc.py). Batches: 2 source + 2 target per GPU. Evaluation: VOC07 11-point AP@0.5
# (the paper's numbers) and area AP@0.5; test adds CorLoc (Table B.4 uses the target TRAIN split).
data_root = 'data/'
classes = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable',
           'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor')
metainfo = dict(classes=classes)
train_scales = [(1333, s) for s in range(480, 801, 32)]  # short side 480:32:800, long side <= 1333
test_scale = (1333, 800)

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
    type='ConcatDataset',
    datasets=[
        dict(type='CrossDomainVOCDataset', difficult='keep', data_root=data_root + year + '/',
             ann_file='ImageSets/Main/trainval.txt', data_prefix=dict(sub_data_root=''), metainfo=metainfo,
             filter_cfg=dict(filter_empty_gt=True), pipeline=source_pipeline) for year in ('VOC2007', 'VOC2012')
    ])
target_train = dict(
    type='WslImageLabelDataset',
    label_source='xml',  # labels = distinct non-difficult <name>s; or label_source='file' with '<id> <class> ...'
    data_root=data_root + 'clipart/',
    ann_file='ImageSets/Main/traintest.txt',
    metainfo=metainfo,
    filter_cfg=dict(filter_empty_gt=True),
    pipeline=target_pipeline)
# Target images WITH boxes (oracle training): empty images filtered, difficult dropped.
target_train_boxes = dict(
    type='CrossDomainVOCDataset', difficult='drop', data_root=data_root + 'clipart/',
    ann_file='ImageSets/Main/traintest.txt', data_prefix=dict(sub_data_root=''), metainfo=metainfo,
    filter_cfg=dict(filter_empty_gt=True), pipeline=source_pipeline)
target_test = dict(
    type='CrossDomainVOCDataset', difficult='ignore', data_root=data_root + 'clipart/',
    ann_file='ImageSets/Main/traintest.txt', data_prefix=dict(sub_data_root=''), metainfo=metainfo,
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
