# The images BBAM labels on the synthetic shapes data: the SOURCE train split (boxes from Annotations/*.xml; exact
# instance masks in SegmentationObject/*.png for evaluation), with the detector's test transform (no flip).
bbam_data_root = 'data/shapes/source/'
bbam_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=(128, 128), keep_ratio=True),
    dict(type='mmdet.PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
bbam_dataset = dict(
    type='WslVOCDataset',
    data_root=bbam_data_root,
    ann_file='ImageSets/Main/train.txt',
    data_prefix=dict(sub_data_root=''),
    metainfo=dict(classes=('circle', 'square', 'triangle', 'star')),
    test_mode=True,  # keep images without boxes (they get an empty NPZ)
    pipeline=bbam_pipeline)
