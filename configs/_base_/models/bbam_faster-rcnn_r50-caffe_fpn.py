# The detector BBAM attributes on MS COCO: the official BBAM_coco_FPN_R101_FasterRCNN.yaml is, despite its name, a
# Faster R-CNN ResNet-50 FPN (MSRA/caffe init, specs/bbam.md §0 and §6.20), RoIAlign sampling ratio 2, 80 classes.
_base_ = './bbam_faster-rcnn_r101-caffe_fpn.py'
model = dict(
    backbone=dict(
        depth=50,
        # Local file only: open-mmlab://detectron2/resnet50_caffe =
        # https://download.openmmlab.com/pretrain/third_party/resnet50_msra-5891d200.pth under data/pretrained/.
        init_cfg=dict(type='Pretrained', checkpoint='data/pretrained/resnet50_msra-5891d200.pth')),
    roi_head=dict(bbox_head=dict(num_classes=80)))
