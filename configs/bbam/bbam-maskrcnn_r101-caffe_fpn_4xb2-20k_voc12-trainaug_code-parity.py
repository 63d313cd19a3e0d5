# BBAM instance segmentation on PASCAL VOC 2012 (train_aug pseudo labels -> val), as the official
# BBAM_VOC_aug_FPN_R101_MaskRCNN.yaml runs it (specs/bbam.md §4.1): Mask R-CNN R-101 FPN (MSRA ImageNet init), anchors
# 21..332, train short side 416..512 (max 800), test 512 (max 800), batch 8 (4 GPUs x 2), lr 0.008, 20k iterations,
# strict (th_fg 0.85) + loose (th_fg 0.2) pseudo masks with the seed-growing mask loss (tau 0.9, 8-neighbour rule).
# Paper (Table 1, +MCG): AP 33.4, AP25 76.8, AP50 63.7, AP70 39.5, AP75 31.8, ABO 63.0; without MCG AP 29.6.
#   python tools/bbam_make_labels.py work_dirs/bbam_voc --out data/bbam_voc_labels [--mcg-dir MCG]
#   tools/dist_train.sh configs/bbam/<this file> 4
_base_ = [
    '../_base_/models/bbam-seg_mask-rcnn_r101-caffe_fpn.py',
    '../_base_/datasets/bbam-seg_voc12-pseudo-instance.py',
    '../_base_/schedules/bbam-seg_sgd-20k.py',
    '../_base_/det_runtime.py',
]
