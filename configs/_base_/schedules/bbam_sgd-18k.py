# Detector schedule of the official VOC config (maskrcnn-benchmark SOLVER): SGD lr 0.01 for 16 images per batch,
# momentum 0.9, weight decay 1e-4, linear warm-up 500 iterations (factor 1/3), x0.1 at 12k and 16k, 18k iterations.
max_iters = 18000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=6000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[12000, 16000], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=16)
