# D2-Net on ActivityNet1.2 with the paper's values: τ = 0.5 everywhere, k = ceil(s/8), α = 1e-3, batch 10,
# weight decay 5e-3; ActivityNet evaluation (seconds, best tIoU), IoU 0.5:0.95.
_base_ = ['./d2net_i3d_1xb20-20k_activitynet12_code-parity.py']
alpha = 1e-3  # α (Eq. 1, ActivityNet1.2)
model = dict(
    loss_cls=dict(pos_weight=1.0, k_divisor=8, bg_thresh=0.5),
    loss_snippet=dict(loss_weight=alpha, bg_thresh=0.5, fg_over_gt=False, normalize='total'),
    loss_video=dict(loss_weight=alpha, k_divisor=8, mask_ratio=None, normalize='batch'),
    xref_bg_thresh=0.5,
    denoise_start_iter=-1, denoise_interval=1,
    test_cfg=dict(select_on='tcam', class_rule='half_max', k_divisor=8, k_rounding='ceil',
                  lambda_rescale_max=None, thresholds=[j / 40 for j in range(1, 21)], contrast_thr=None,
                  nms_iou=0.5))
train_dataloader = dict(batch_size=10)
optim_wrapper = dict(optimizer=dict(lr=1e-4, weight_decay=5e-3))
val_evaluator = dict(protocol='activitynet')
test_evaluator = val_evaluator
