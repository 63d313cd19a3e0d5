# Mask R-CNN schedule of the official BBAM_VOC_aug_FPN_R101_MaskRCNN.yaml (SOLVER): SGD lr 0.008 for 8 images per
# batch, momentum 0.9, weight decay 1e-4, linear warm-up over 500 iterations from 1/3, x0.1 at 16k, 20005 iterations.
max_iters = 20005
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.008, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[16000], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
