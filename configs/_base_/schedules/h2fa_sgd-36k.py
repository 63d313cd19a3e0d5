# H2FA R-CNN's schedule (Detectron2 SOLVER): SGD lr 0.005 for a total batch of 8 (4 source + 4 target = 2 GPUs x
# (2 + 2)), momentum 0.9, weight decay 1e-4 (0 on norm layers), no gradient clipping; linear warm-up (factor 0.001,
# 400 iterations) then x0.1 steps. 36k iterations with steps at 24k/32k (Clipart_all, *_extra); the 24k configs
# override max_iters and milestones. Evaluation every 5000 iterations (checkpoints: each config's default_hooks).
max_iters = 36000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.005, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(norm_decay_mult=0.))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=400),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[24000, 32000], gamma=0.1),
]
# --auto-scale-lr: lr x (GPUs x batch per GPU) / 8, e.g. 0.0025 on 1 GPU with 2 + 2 images.
auto_scale_lr = dict(enable=False, base_batch_size=8)
