# D2-Net on THUMOS14 with the paper's values (Sec. 3-4) where they differ from the code. The paper says nothing about
# residual connections and dropout; they stay as in the code.
_base_ = ['./d2net_i3d_1xb20-20k_thumos14_code-parity.py']
alpha = 0.2  # α, weight of L_D = L_DS + L_DV (Eq. 1, THUMOS14)
model = dict(
    streams=dict(cls_kernel_size=3, cls_dilation=1),  # all three TC layers (3, 1)
    loss_cls=dict(pos_weight=1.0,  # Eq. 4 has no positive re-weighting
                  k_divisor=8),  # k = ceil(s/8)
    loss_snippet=dict(loss_weight=alpha, fg_over_gt=False,  # q = max over all classes
                      normalize='total'),  # Y1 scaled by 1/z, z = n_f + n_b (Eq. 9)
    loss_video=dict(loss_weight=alpha, k_divisor=8, mask_ratio=None,  # P2 = [p_1 ... p_n] as is (Eq. 10)
                    normalize='batch'),  # Y2 scaled by 1/n
    denoise_start_iter=-1, denoise_interval=1,  # L_D on every iteration from the start
    test_cfg=dict(select_on='tcam', k_rounding='ceil',  # p = top-k pooled T, p_th = 0.5·max(p) (Sec. 3.3)
                  thresholds=[j / 40 for j in range(1, 21)],  # 0.025 ... 0.5 step 0.025
                  contrast_thr=None,  # no contrast filter
                  nms_iou=0.5))  # NMS threshold 0.5
train_dataloader = dict(batch_size=10)  # mini-batch 10
optim_wrapper = dict(optimizer=dict(lr=1e-4, weight_decay=5e-3))  # Adam 1e-4, weight decay 0.005
# standard evaluation: ActivityNet protocol (seconds, best tIoU) on segments.npy (3358 GT), no ambiguous filtering
val_dataloader = dict(dataset=dict(gt_source='segments'))
test_dataloader = val_dataloader
val_evaluator = dict(protocol='activitynet', use_ambiguous=False, iou_thresholds='0.1:0.7')  # also AVG(0.1:0.7)
test_evaluator = val_evaluator
