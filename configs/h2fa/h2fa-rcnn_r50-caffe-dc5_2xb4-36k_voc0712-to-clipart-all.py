# H2FA R-CNN with R50-DC5 (Table B.3), VOC07+12 -> Clipart_all.
_base_ = './h2fa-rcnn_r101-caffe-dc5_2xb4-36k_voc0712-to-clipart-all.py'
# local file, no download: the open-mmlab://detectron2/resnet50_caffe weights
model = dict(backbone=dict(depth=50, init_cfg=dict(checkpoint='data/pretrained/resnet50_msra-5891d200.pth')))
