# ActivityNet1.2 (100 classes) in the W-TALC I3D feature format: training videos (4819) train, validation videos
# (2383) evaluate; videos with <= 5 valid snippets are dropped from both. data_root holds
# ActivityNet1.2-I3D-JOINTFeatures.npy and ActivityNet1.2-Annotations/ (from 3C-Net).
_base_ = ['./d2net_thumos14.py']
dataset_type = 'ActivityNet12WTALCDataset'
data_root = 'data/activitynet12/'
train_pipeline = [dict(type='RandomSnippetCrop', max_len=750), dict(type='PackTemporalInputs', num_classes=100)]
test_pipeline = [dict(type='PackTemporalInputs', num_classes=100)]
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, gt_source='segments',
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='TemporalDetectionMAP', protocol='legacy', iou_thresholds='0.5:0.95', use_ambiguous=False,
                     f1_iou=0.5)
test_evaluator = val_evaluator
