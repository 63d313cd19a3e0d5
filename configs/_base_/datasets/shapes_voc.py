# Synthetic two-domain "shapes" dataset (wsl.datasets.synthetic.shapes) in Pascal VOC layout.
# Create it with `wsl data shapes --out data/shapes` (the demo and benchmarks do it themselves).
# Trains on the source domain; validates on source-test (in-domain) and tests on target-test (the domain shift).
# Source-test numbers from tools/test.py: --cfg-options test_dataloader.dataset.data_root=data/shapes/source/
dataset_type = 'WslVOCDataset'
data_root = 'data/shapes/'
classes = ('circle', 'square', 'triangle', 'star')
metainfo = dict(classes=classes)
image_size = (128, 128)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.Resize', scale=image_size, keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=image_size, keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root + 'source/',
        ann_file='ImageSets/Main/train.txt',
        data_prefix=dict(sub_data_root=''),
        metainfo=metainfo,
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root + 'source/',
        ann_file='ImageSets/Main/test.txt',
        data_prefix=dict(sub_data_root=''),
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root + 'target/',
        ann_file='ImageSets/Main/test.txt',
        data_prefix=dict(sub_data_root=''),
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline))

# VOC AP at IoU 0.5; 'area' = VOC2010+ (use eval_mode='11points' for the VOC2007 protocol).
val_evaluator = dict(type='mmdet.VOCMetric', metric='mAP', iou_thrs=0.5, eval_mode='area')
test_evaluator = val_evaluator
