# Semantic segmentation on BBAM pseudo-label PNGs of the synthetic shapes SOURCE train images (VOC palette,
# 0 background, c + 1 class c, 255 = ignore band / class conflict), tested on the exact SOURCE test class maps.
# Paths are relative to data_root: shapes/source/ (`wsl data shapes --out data/shapes`) and bbam_shapes_labels/
# (OUT of tools/bbam_make_labels.py, which writes SegmentationClassBBAM/<id>.png).
data_root = 'data/'
shapes_voc = 'shapes/source/'
pseudo_dir = 'bbam_shapes_labels/'
metainfo = dict(
    classes=('background', 'circle', 'square', 'triangle', 'star'),
    palette=[[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128]])
crop_size = (64, 64)  # tiny crops keep a CPU run short; testing uses the whole 128x128 image

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='RandomChoice', transforms=[[dict(type='Resize', scale_factor=s, keep_ratio=True)]
                                          for s in (0.75, 1.0, 1.25)]),
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
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='mmseg.BaseSegDataset',
        data_root=data_root,
        ann_file=shapes_voc + 'ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path=shapes_voc + 'JPEGImages', seg_map_path=pseudo_dir + 'SegmentationClassBBAM'),
        img_suffix='.jpg',
        seg_map_suffix='.png',
        metainfo=metainfo,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmseg.BaseSegDataset',
        data_root=data_root,
        ann_file=shapes_voc + 'ImageSets/Segmentation/test.txt',
        data_prefix=dict(img_path=shapes_voc + 'JPEGImages', seg_map_path=shapes_voc + 'SegmentationClass'),
        img_suffix='.jpg',
        seg_map_suffix='.png',
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# Standard confusion-matrix mIoU (background included); the class list above already holds 'background'.
val_evaluator = dict(type='SemSegIoUMetric', with_background=False)
test_evaluator = val_evaluator
