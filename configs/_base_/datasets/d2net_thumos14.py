# THUMOS14 (reduced, 20 classes) in the W-TALC I3D feature format: validation videos (200) train, test videos (212)
# evaluate. data_root holds Thumos14reduced-I3D-JOINTFeatures.npy and Thumos14reduced-Annotations/ (from D2-Net,
# with test_gt_segments.npy and Ambiguous_test.txt).
dataset_type = 'Thumos14WTALCDataset'
data_root = 'data/thumos14/'
train_pipeline = [
    dict(type='RandomSnippetCrop', max_len=750),  # --max-seqlen 750; shorter videos are zero-padded by D2Net
    dict(type='PackTemporalInputs', num_classes=20)
]
test_pipeline = [dict(type='PackTemporalInputs', num_classes=20)]  # full length, no crop
train_dataloader = dict(
    batch_size=20,  # code default (paper: 10)
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', test_mode=True,
                 gt_source='test_gt_segments',  # the official 3234-segment test GT D2-Net reports on
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='TemporalDetectionMAP', protocol='legacy',  # detectionMAP.py: snippets, first fit
                     iou_thresholds='0.1:0.5', use_ambiguous=True, f1_iou=0.5)
test_evaluator = val_evaluator
