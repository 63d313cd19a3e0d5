# Instance segmentation on BBAM pseudo labels of PASCAL VOC 2012 train_aug (10,582 images), evaluated on VOC 2012 val
# (1,449 images) with the COCO API, as the official BBAM_VOC_aug_FPN_R101_MaskRCNN.yaml (specs/bbam.md §4.1, §4.3).
# Paths are relative to data_root:
#   VOCdevkit/VOC2012/                      JPEGImages/, Annotations/, SegmentationObject/, ImageSets/
#   bbam_voc_labels/                        OUT of tools/bbam_make_labels.py (instances_strict.json = T_fg,
#                                           instances_loose.json = T_loose; add --mcg-dir for the +MCG numbers)
#   VOCdevkit/VOC2012/instances_val2012.json  val masks as COCO (the official voc_2012_val_cocostyle.json works too):
#       python -c "from wsl.segmentation.datasets import write_voc_instances_coco as w; \
#                  w('data/VOCdevkit/VOC2012', 'val', 'data/VOCdevkit/VOC2012/instances_val2012.json')"
data_root = 'data/'
voc_root = 'VOCdevkit/VOC2012/'
pseudo_dir = 'bbam_voc_labels/'
classes = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable', 'dog',
           'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor')

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPairedAnnotations', with_bbox=True, with_mask=True),
    # INPUT.MIN_SIZE_TRAIN (416, 440, 464, 488, 512), MAX_SIZE_TRAIN 800 (one short side drawn per image)
    dict(type='mmdet.RandomChoiceResize', scales=[(800, s) for s in (416, 440, 464, 488, 512)], keep_ratio=True,
         resize_type='mmdet.Resize'),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=(800, 512), keep_ratio=True),  # MIN_SIZE_TEST 512, MAX_SIZE_TEST 800
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
        data_prefix=dict(img=voc_root + 'JPEGImages/'),
        metainfo=dict(classes=classes),
        filter_cfg=dict(filter_empty_gt=True),
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
        ann_file=voc_root + 'instances_val2012.json',
        data_prefix=dict(img=voc_root + 'JPEGImages/'),
        metainfo=dict(classes=classes),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# AP (0.5:0.95), AP25/50/70/75 from COCOeval(segm) and ABO (specs/bbam.md §4.3).
val_evaluator = dict(type='InstanceMaskAPMetric')
test_evaluator = val_evaluator
