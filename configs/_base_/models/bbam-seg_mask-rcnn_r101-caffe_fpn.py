# The Mask R-CNN BBAM trains on its VOC pseudo labels (official BBAM_VOC_aug_FPN_R101_MaskRCNN.yaml, specs/bbam.md
# §4.1): ResNet-101 FPN, MSRA/caffe ImageNet init (BGR, mean subtraction, std 1, frozen BN and stem+stage 1),
# RPN anchors (21, 42, 84, 168, 332) per FPN level instead of 32..512, RoIAlign sampling ratio 2
# (POOLER_SAMPLING_RATIO), RoI matcher without low-quality matches, 20 classes, and the seed-growing mask loss.
# mmdet's Mask R-CNN base is borrowed.
_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'
model = dict(
    data_preprocessor=dict(mean=[103.530, 116.280, 123.675], std=[1.0, 1.0, 1.0], bgr_to_rgb=False, pad_mask=False,
                           pad_size_divisor=32),  # SIZE_DIVISIBILITY 32
    backbone=dict(
        depth=101,
        frozen_stages=1,
        norm_cfg=dict(requires_grad=False),
        norm_eval=True,
        style='caffe',
        # Local file only (no download): open-mmlab://detectron2/resnet101_caffe, i.e.
        # https://download.openmmlab.com/pretrain/third_party/resnet101_msra-6cc46731.pth saved under data/pretrained/.
        init_cfg=dict(type='Pretrained', checkpoint='data/pretrained/resnet101_msra-6cc46731.pth')),
    rpn_head=dict(
        anchor_generator=dict(
            type='AnchorGenerator',
            base_sizes=[21, 42, 84, 168, 332],  # RPN.ANCHOR_SIZES of the official config (one size per level)
            scales=[1],
            ratios=[0.5, 1.0, 2.0],
            strides=[4, 8, 16, 32, 64])),
    roi_head=dict(
        bbox_roi_extractor=dict(roi_layer=dict(sampling_ratio=2)),
        bbox_head=dict(num_classes=20),
        mask_roi_extractor=dict(roi_layer=dict(sampling_ratio=2)),
        mask_head=dict(
            type='wsl.SeedGrowingMaskHead',
            num_classes=20,
            loss_mask=dict(
                _delete_=True,
                type='wsl.SeedGrowingMaskLoss',
                grow_threshold=0.9,  # tau (official th_growing)
                neighbor_filter=True,  # 8-neighbour support
                loss_weight=1.0))),
    train_cfg=dict(rcnn=dict(assigner=dict(match_low_quality=False))))
