# R2D2's schedule: Adam (L2 weight decay, not AdamW), constant lr, 25 epochs.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, weight_decay=5e-4))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=25)
