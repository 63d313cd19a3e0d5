# Synthetic two-domain shapes data for cross-domain weakly supervised detection (H2FA R-CNN):
# train = source-train with boxes + target-train with image-level labels only (image_labels_train.txt), paired 1:1
# in every batch (DomainPairedSampler) and tagged with metainfo['domain']; val and test on TARGET-test (boxes).
# CorLoc on target-train: --cfg-options test_dataloader.dataset.ann_file=ImageSets/Main/train.txt
# Create the data with `wsl data shapes --out data/shapes`. The target domain is the milder shift
# ('target_mild', as in `wsl bench h2fa`); for the strong shift point the target data roots at data/shapes/target/.
data_root = 'data/shapes/'
target_domain = 'target_mild/'
classes = ('circle', 'square', 'triangle', 'star')
metainfo = dict(classes=classes)
image_size = (128, 128)

source_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.Resize', scale=image_size, keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs'),
]
target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=image_size, keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='PackDetInputsWithImageLabels'),  # image-level labels -> data_sample.gt_image_labels
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=image_size, keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]

source_train = dict(
    type='WslVOCDataset',
    data_root=data_root + 'source/',
    ann_file='ImageSets/Main/train.txt',
    data_prefix=dict(sub_data_root=''),
    metainfo=metainfo,
    filter_cfg=dict(filter_empty_gt=True),
    pipeline=source_pipeline)
target_train = dict(
    type='WslImageLabelDataset',
    data_root=data_root + target_domain,
    ann_file='image_labels_train.txt',  # <id> <class> ...
    label_source='file',
    metainfo=metainfo,
    filter_cfg=dict(filter_empty_gt=True),
    pipeline=target_pipeline)
# Target-train with boxes: only for the oracle (and CorLoc, which needs boxes to score).
target_train_boxes = dict(source_train, data_root=data_root + target_domain)

train_dataloader = dict(
    batch_size=8,  # 4 source + 4 target
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DomainPairedSampler', batch_size=8, source_ratio=[1, 1]),
    dataset=dict(type='DomainPairedDataset', source=source_train, target=target_train))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='WslVOCDataset',
        data_root=data_root + target_domain,
        ann_file='ImageSets/Main/test.txt',
        data_prefix=dict(sub_data_root=''),
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='mmdet.VOCMetric', metric='mAP', iou_thrs=0.5, eval_mode='area')
test_evaluator = [val_evaluator, dict(type='CorLocMetric', iou_thr=0.5)]
