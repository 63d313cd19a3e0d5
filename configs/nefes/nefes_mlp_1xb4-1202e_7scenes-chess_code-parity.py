# NeFeS on 7-Scenes chess as the official code runs it: stage 1 is epochs 0..600 inclusive (601), the second run
# epochs 0..600 inclusive with stage 3 from its epoch 200 (T2 = 200, T3 = 401); 1202 epochs in all.
_base_ = ['./nefes_mlp_1xb4-1200e_7scenes-chess_paper.py']
max_epochs = 1202
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs + 1)
param_scheduler = [dict(type='ExponentialLR', gamma=0.1**(1 / 754), by_epoch=True, begin=0, end=max_epochs)]
custom_hooks = [dict(type='NeFeSProgressiveHook', stage_epochs=(601, 200), reset_optimizer=True)]
