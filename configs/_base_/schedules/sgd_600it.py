# Iteration-based SGD schedule for the CPU-sized synthetic benchmarks: 600 iterations, warm-up, two LR steps.
max_iters = 600
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=10.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[450, 550], gamma=0.1),
]
# --auto-scale-lr rescales lr by (GPUs x batch per GPU) / base_batch_size.
auto_scale_lr = dict(enable=False, base_batch_size=8)
