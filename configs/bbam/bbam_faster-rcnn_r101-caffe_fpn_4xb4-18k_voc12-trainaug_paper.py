# BBAM on PASCAL VOC 2012 train_aug with the paper's literal objective (Eq. 2-3 L1 norms, no TV, IoU > 0.8, no cap).
# Same detector and data as the code-parity config; see its header for the commands.
_base_ = [
    '../_base_/models/bbam_faster-rcnn_r101-caffe_fpn.py',
    '../_base_/datasets/bbam_voc12-trainaug.py',
    '../_base_/schedules/bbam_sgd-18k.py',
    '../_base_/det_runtime.py',
    '../_base_/bbam/bbam_paper.py',
]
