# H2FA R-CNN with the C4 detector (Table B.3): RPN and RoI pooling on res4 (1024 ch, stride 16), res5 as the RoI
# head's shared head (Res5ROIHeads); the global domain classifier and image classifier use res4
# (roi_heads.in_features[0] in the official code); local domain classifier on res2.
_base_ = './h2fa-rcnn_r101-caffe-dc5.py'
norm_cfg = dict(type='BN', requires_grad=False)
model = dict(
    backbone=dict(num_stages=3, strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(0, 2)),  # (res2, res4)
    rpn_head=dict(in_channels=1024, feat_channels=1024),
    roi_head=dict(
        shared_head=dict(
            type='ResLayer',
            depth=101,
            stage=3,
            stride=2,
            dilation=1,
            style='caffe',
            norm_cfg=norm_cfg,
            norm_eval=True,
            # local file, no download: the open-mmlab://detectron2/resnet101_caffe weights
            init_cfg=dict(type='Pretrained', checkpoint='data/pretrained/resnet101_msra-6cc46731.pth')),
        bbox_roi_extractor=dict(roi_layer=dict(output_size=14), out_channels=1024),
        bbox_head=dict(_delete_=True,
                       type='BBoxHead',
                       with_avg_pool=True,
                       roi_feat_size=7,
                       in_channels=2048,
                       num_classes={{_base_.num_classes}},
                       bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                                       target_stds=[0.1, 0.1, 0.2, 0.2]),
                       reg_class_agnostic=False,
                       loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                       loss_bbox=dict(type='L1Loss', loss_weight=1.0))),
    global_da_head=dict(in_channels=1024),
    image_cls_head=dict(in_channels=1024))
