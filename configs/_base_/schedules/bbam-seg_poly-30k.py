# DeepLab-v2 schedule of the BBAM/AdvCAM author's recipe (AdvCAM issue #9, specs/bbam.md §4.2) on deeplab-pytorch's
# solver: SGD lr 2.5e-4 for 10 images per batch, momentum 0.9, weight decay 5e-4, poly decay (power 0.9) to 0, 30k
# iterations; the ASPP head at 10x lr, its biases at 20x lr without weight decay (deeplab-pytorch's 1x/10x/20x groups).
max_iters = 30000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys={
        'decode_head': dict(lr_mult=10.0),
        **{f'decode_head.aspp.{i}.bias': dict(lr_mult=20.0, decay_mult=0.0) for i in range(4)}
    }))
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False, begin=0, end=max_iters)]
auto_scale_lr = dict(enable=False, base_batch_size=10)
