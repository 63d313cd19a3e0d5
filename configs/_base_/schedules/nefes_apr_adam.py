# APR training (DFNet / Direct-PoseNet code): Adam lr 1e-4, constant, epoch-based; pose MSE on the 12 numbers.
max_epochs = 600
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=50)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.0))
param_scheduler = []
val_evaluator = dict(type='AbsolutePoseErrorMetric', pred_key='pred_pose', gt_key='pose')
test_evaluator = val_evaluator
