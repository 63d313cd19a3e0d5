# D2-Net on THUMOS14 as the official code trains and evaluates it: batch 20, Adam 1e-4, weight decay 5e-4, 20k
# iterations; L_Dis + 0.1·L_DS + 0.1·L_DV with L_D on even iterations after 1000; legacy evaluator (snippets,
# first fit, ambiguous filtering) on test_gt_segments, IoU 0.1:0.5. Differences kept on purpose: no model
# selection on the test set (the last checkpoint is evaluated) and numpy is seeded.
_base_ = [
    '../_base_/models/d2net_i3d-tcn_thumos14.py',
    '../_base_/datasets/d2net_thumos14.py',
    '../_base_/schedules/d2net_adam-20k.py',
    '../_base_/default_runtime.py',
]
default_hooks = dict(checkpoint=dict(interval=2000), logger=dict(interval=100))
