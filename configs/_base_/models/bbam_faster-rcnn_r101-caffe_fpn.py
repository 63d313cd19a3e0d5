# The detector BBAM attributes on PASCAL VOC (official BBAM_VOC_aug_FPN_R101_FasterRCNN.yaml): Faster R-CNN,
# ResNet-101 FPN, MSRA/caffe-style ImageNet init (BGR, mean subtraction, std 1: the mask's "0" is the caffe mean mu,
# specs/bbam.md §1.1), RoIAlign 7x7 with sampling ratio 2, 20 classes. mmdet's Faster R-CNN FPN base is borrowed.
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'
model = dict(
    data_preprocessor=dict(mean=[103.530, 116.280, 123.675], std=[1.0, 1.0, 1.0], bgr_to_rgb=False),
    backbone=dict(
        depth=101,
        norm_cfg=dict(requires_grad=False),
        norm_eval=True,
        style='caffe',
        # Local file only (no download): open-mmlab://detectron2/resnet101_caffe, i.e.
        # https://download.openmmlab.com/pretrain/third_party/resnet101_msra-6cc46731.pth saved under data/pretrained/.
        # Only used to train the detector; BBAM loads the whole trained detector checkpoint.
        init_cfg=dict(type='Pretrained', checkpoint='data/pretrained/resnet101_msra-6cc46731.pth')),
    roi_head=dict(
        bbox_roi_extractor=dict(roi_layer=dict(sampling_ratio=2)),  # POOLER_SAMPLING_RATIO 2
        bbox_head=dict(num_classes=20)))
