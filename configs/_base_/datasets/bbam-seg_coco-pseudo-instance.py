# Instance segmentation on BBAM pseudo labels of MS COCO 2017 train, evaluated on val2017 with the COCO API (AP,
# AP25/50/70/75 and ABO, specs/bbam.md §4.3; crowd regions of val2017 are handled by COCOeval through ann_file).
# Paths are relative to data_root:
#   coco/train2017/, coco/val2017/, coco/annotations/instances_val2017.json
#   bbam_coco_labels/   OUT of tools/bbam_make_labels.py on the COCO BBAM maps (instances_strict.json = T_fg,
#                       instances_loose.json = T_loose; categories copied from instances_train2017.json)
data_root = 'data/'
coco_root = 'coco/'
pseudo_dir = 'bbam_coco_labels/'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPairedAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='mmdet.AspectRatioBatchSampler'),
    dataset=dict(
        type='BBAMPseudoMaskDataset',
        data_root=data_root,
        ann_file=pseudo_dir + 'instances_strict.json',
        loose_ann_file=pseudo_dir + 'instances_loose.json',
        data_prefix=dict(img=coco_root + 'train2017/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmdet.CocoDataset',
        data_root=data_root,
        ann_file=coco_root + 'annotations/instances_val2017.json',
        data_prefix=dict(img=coco_root + 'val2017/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='InstanceMaskAPMetric', ann_file=data_root + coco_root + 'annotations/instances_val2017.json')
test_evaluator = val_evaluator
