# H2FA R-CNN on the synthetic shapes data: source boxes + target image-level labels, all four alignments (A1-A4),
# batch 4 source + 4 target, 600 iterations; val/test on target-test (mAP@0.5), test adds CorLoc.
# LR 0.01: half the source-only / oracle LR (0.02), the paper's ratio (H2FA 0.005 vs baselines 0.01 at batch 8).
# `wsl bench h2fa` starts every row from the shape-aware backbone of `wsl data shapes-backbone`; add
# --cfg-options model.backbone.init_cfg.type=Pretrained model.backbone.init_cfg.checkpoint=FILE to do the same.
_base_ = [
    '../_base_/models/h2fa-rcnn_r18-dc5.py',
    '../_base_/datasets/shapes_domain_paired.py',
    '../_base_/schedules/sgd_600it.py',
    '../_base_/det_runtime.py',
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
