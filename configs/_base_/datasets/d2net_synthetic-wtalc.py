# The synthetic W-TALC-format set of `wsl bench d2net` (generator version 2: 6 classes, 100 train / 200 test videos,
# 256-d features = 128 "RGB" | 128 "flow"). Write it with
#   python -m wsl.datasets.synthetic.wtalc data/d2net_synthetic --seed 0
dataset_type = 'WTALCDataset'
data_root = 'data/d2net_synthetic/'
feature_dim = 256
data = dict(type=dataset_type, data_root=data_root, feature_file='SyntheticTAL-I3D-JOINTFeatures.npy',
            ann_dir='SyntheticTAL-Annotations', ambiguous_file='Ambiguous_test.txt', feature_dim=feature_dim,
            subsets=dict(train='validation', test='test'))  # THUMOS-style subset names
train_pipeline = [dict(type='RandomSnippetCrop', max_len=750), dict(type='PackTemporalInputs', num_classes=6)]
test_pipeline = [dict(type='PackTemporalInputs', num_classes=6)]
train_dataloader = dict(
    batch_size=10,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(**data, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=10,
    num_workers=0,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(**data, split='test', test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
# No ambiguous filtering: the generator's look-alike context (listed in Ambiguous_test.txt) borders most instances,
# and the legacy rule drops every detection that touches one, which would mostly measure boundary overshoot.
val_evaluator = dict(type='TemporalDetectionMAP', protocol='legacy', iou_thresholds='0.1:0.5', use_ambiguous=False,
                     f1_iou=0.5)
test_evaluator = val_evaluator
