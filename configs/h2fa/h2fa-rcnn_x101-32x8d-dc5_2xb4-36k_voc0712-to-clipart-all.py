# H2FA R-CNN with X101-DC5 (ResNeXt-101 32x8d, Table B.3; the official repo ships no config for it),
# VOC07+12 -> Clipart_all. Detectron2's X-101-32x8d weights: BGR input with per-channel std.
_base_ = './h2fa-rcnn_r101-caffe-dc5_2xb4-36k_voc0712-to-clipart-all.py'
model = dict(
    data_preprocessor=dict(mean=[103.530, 116.280, 123.675], std=[57.375, 57.120, 58.395], bgr_to_rgb=False),
    backbone=dict(
        type='ResNeXt',
        groups=32,
        base_width=8,
        style='pytorch',
        # local file, no download: the open-mmlab://detectron2/resnext101_32x8d weights
        init_cfg=dict(checkpoint='data/pretrained/resnext101_32x8d-1516f1aa.pth')))
