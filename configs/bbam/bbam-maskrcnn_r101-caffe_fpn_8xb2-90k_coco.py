# BBAM instance segmentation on MS COCO 2017 (BBAM pseudo labels of train2017 -> val2017). The repo has neither a COCO
# generation script nor a COCO Mask R-CNN recipe (specs/bbam.md §1, §4.4); the paper reports COCO val AP / AP50 / AP75
# 26.0 / 50.0 / 23.9 (+MCG), 23.5 / 47.9 / 20.3 without MCG. Model as the VOC recipe (R-101 FPN, caffe ImageNet init,
# seed-growing mask loss, the VOC recipe's anchors) with 80 classes; schedule: MMDetection's 1x
# for COCO (batch 16, lr 0.02, 90k iterations, x0.1 at 60k/80k), the common choice for COCO Mask R-CNN.
#   python tools/bbam_generate.py configs/bbam/bbam_faster-rcnn_r50-caffe_fpn_4xb2-180k_coco_code-parity.py CKPT ...
#   python tools/bbam_make_labels.py work_dirs/bbam_coco --out data/bbam_coco_labels
#   tools/dist_train.sh configs/bbam/<this file> 8
_base_ = [
    '../_base_/models/bbam-seg_mask-rcnn_r101-caffe_fpn.py',
    '../_base_/datasets/bbam-seg_coco-pseudo-instance.py',
    '../_base_/schedules/bbam-seg_sgd-20k.py',
    '../_base_/det_runtime.py',
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=80), mask_head=dict(num_classes=80)))
max_iters = 90000
train_cfg = dict(max_iters=max_iters, val_interval=10000)
optim_wrapper = dict(optimizer=dict(lr=0.02))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[60000, 80000], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=16)
default_hooks = dict(checkpoint=dict(interval=10000))
