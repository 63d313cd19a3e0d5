# BBAM on MS COCO 2017 train, code-parity hyper-parameters. The repo has no COCO generation script; this applies the
# VOC recipe with the COCO detector of the official config (R-50 FPN, 180k iterations, batch 8, lr 0.01, steps at
# 120k/160k). Crowd boxes are not labelled. Commands as in the VOC config (tools/bbam_generate.py ... --shard I/N).
_base_ = [
    '../_base_/models/bbam_faster-rcnn_r50-caffe_fpn.py',
    '../_base_/datasets/bbam_coco.py',
    '../_base_/schedules/bbam_sgd-18k.py',
    '../_base_/det_runtime.py',
    '../_base_/bbam/bbam_code-parity.py',
]
max_iters = 180000
train_cfg = dict(max_iters=max_iters, val_interval=20000)
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[120000, 160000], gamma=0.1),
]
auto_scale_lr = dict(base_batch_size=8)
bbam = dict(keep_ignored=False)  # COCO crowd regions are no instances
