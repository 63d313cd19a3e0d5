# H2FA R-CNN on the synthetic shapes data: source boxes + target image-level labels, all four alignments (A1-A4),
# batch 4 source + 4 target, 600 iterations; val/test on target-test (mAP@0.5), test adds CorLoc.
_base_ = [
    '../_base_/models/h2fa-rcnn_r18-dc5.py',
    '../_base_/datasets/shapes_domain_paired.py',
    '../_base_/schedules/sgd_600it.py',
    '../_base_/det_runtime.py',
]
