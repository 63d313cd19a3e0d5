# H2FA R-CNN with R101-C4 (Table B.3), VOC07+12 -> Clipart_all: IIR on 512 random proposals per target image, as
# Algorithm 1 and the DC5 code path do.
_base_ = [
    '../_base_/models/h2fa-rcnn_r101-caffe-c4.py',
    '../_base_/datasets/cdod_voc0712-clipart.py',
    '../_base_/schedules/h2fa_sgd-36k.py',
    '../_base_/det_runtime.py',
]
default_hooks = dict(checkpoint=dict(interval=5000, max_keep_ckpts=3), logger=dict(interval=20))
