# Semantic segmentation on BBAM pseudo-label PNGs of PASCAL VOC 2012 train_aug (10,582 images), evaluated on VOC 2012
# val (1,449 images; GT SegmentationClass, 255 = void). Paths are relative to data_root: VOCdevkit/VOC2012/ and
# bbam_voc_labels/ (OUT of tools/bbam_make_labels.py: SegmentationClassBBAM/<id>.png, built from the non-MCG strict
# and loose masks as the official create_semantic_labels.py). Augmentation as deeplab-pytorch: random scale from
# `scales` (relative to the original image), random 321x321 crop (padded with the mean / 255 by the data
# preprocessor), horizontal flip.
data_root = 'data/'
voc_root = 'VOCdevkit/VOC2012/'
pseudo_dir = 'bbam_voc_labels/'
metainfo = dict(
    classes=('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
             'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train',
             'tvmonitor'),
    palette=[[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128], [128, 0, 128], [0, 128, 128],
             [128, 128, 128], [64, 0, 0], [192, 0, 0], [64, 128, 0], [192, 128, 0], [64, 0, 128], [192, 0, 128],
             [64, 128, 128], [192, 128, 128], [0, 64, 0], [128, 64, 0], [0, 192, 0], [128, 192, 0], [0, 64, 128]])
crop_size = (321, 321)  # SIZE.TRAIN
scales = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)  # the author's recipe (AdvCAM issue #9)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='RandomChoice', transforms=[[dict(type='Resize', scale_factor=s, keep_ratio=True)] for s in scales]),
    dict(type='mmseg.RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]
train_dataloader = dict(
    batch_size=5,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='mmseg.BaseSegDataset',
        data_root=data_root,
        ann_file=voc_root + 'ImageSets/Segmentation/train_aug.txt',
        data_prefix=dict(img_path=voc_root + 'JPEGImages', seg_map_path=pseudo_dir + 'SegmentationClassBBAM'),
        img_suffix='.jpg',
        seg_map_suffix='.png',
        metainfo=metainfo,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmseg.BaseSegDataset',
        data_root=data_root,
        ann_file=voc_root + 'ImageSets/Segmentation/val.txt',
        data_prefix=dict(img_path=voc_root + 'JPEGImages', seg_map_path=voc_root + 'SegmentationClass'),
        img_suffix='.jpg',
        seg_map_suffix='.png',
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='SemSegIoUMetric', with_background=False)
test_evaluator = val_evaluator
