# Short CPU schedule for the 256-d synthetic set: Adam 1e-3 (10x the paper's lr; the synthetic network is 64x
# smaller), weight decay 5e-4, 400 iterations, no LR schedule.
max_iters = 400
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, weight_decay=5e-4))
param_scheduler = []
