_base_ = ['../_base_/models/r2d2_l2net.py', '../_base_/datasets/r2d2_synthetic_pairs.py',
          '../_base_/schedules/adam_25e.py', '../_base_/default_runtime.py']
log_processor = dict(by_epoch=True)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1))
