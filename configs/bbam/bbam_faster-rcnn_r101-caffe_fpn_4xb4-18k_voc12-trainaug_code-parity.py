# BBAM on PASCAL VOC 2012 train_aug, code-parity hyper-parameters (specs/bbam.md §1-§2).
# 1) train the detector:  tools/dist_train.sh configs/bbam/<this file> 4
# 2) generate the maps:   python tools/bbam_generate.py configs/bbam/<this file> work_dirs/<...>/iter_18000.pth \
#                             --out work_dirs/bbam_voc --device cuda [--shard I/N]
_base_ = [
    '../_base_/models/bbam_faster-rcnn_r101-caffe_fpn.py',
    '../_base_/datasets/bbam_voc12-trainaug.py',
    '../_base_/schedules/bbam_sgd-18k.py',
    '../_base_/det_runtime.py',
    '../_base_/bbam/bbam_code-parity.py',
]
