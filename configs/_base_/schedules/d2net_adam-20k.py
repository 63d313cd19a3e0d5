# D2-Net schedule of the official code: Adam 1e-4, weight decay 5e-4, 20k iterations, no LR schedule.
max_iters = 20000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)  # evaluate the last checkpoint only (the code picks the best on test)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, weight_decay=5e-4))  # paper wd 5e-3
param_scheduler = []
