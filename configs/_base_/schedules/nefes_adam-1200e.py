# NeFeS progressive schedule (S, sec. 2.3-2.4): T1 = 600 epochs photometric, T2 = 200 epochs + feature loss (fresh Adam,
# LR reset), T3 = 400 epochs + fusion loss; Adam 5e-4, LR(epoch) = 5e-4 * 0.1^(epoch / 754) (lrate_decay 0.754k).
max_epochs = 1200
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs + 1)
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.0))
param_scheduler = [dict(type='ExponentialLR', gamma=0.1**(1 / 754), by_epoch=True, begin=0, end=max_epochs)]
custom_hooks = [dict(type='NeFeSProgressiveHook', stage_epochs=(600, 200), reset_optimizer=True)]  # (T1, T2)
