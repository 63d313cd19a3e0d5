# D2-Net on ActivityNet1.2 as the official code behaves with C = 100 (top-k s/4, background λ < 0.2, t_b = λ' < 0.3,
# λ' rescaled to max 2 and at most 2 classes at test); legacy evaluator, IoU 0.5:0.95. The repo has no ActivityNet
# command: the L_D weights are presumed to be the paper's α = 1e-3.
_base_ = [
    '../_base_/models/d2net_i3d-tcn_activitynet12.py',
    '../_base_/datasets/d2net_activitynet12.py',
    '../_base_/schedules/d2net_adam-20k.py',
    '../_base_/default_runtime.py',
]
default_hooks = dict(checkpoint=dict(interval=2000), logger=dict(interval=100))
