# H2FA R-CNN, the paper's default detector: Faster R-CNN ResNet-101 DilatedC5 (Detectron2 v0.2 layout, caffe/MSRA
# weights, FrozenBN, FREEZE_AT 0 -> frozen_stages=-1), backbone outputs (res2, res5); RPN, RoI head, global domain
# classifier and image classifier on res5 (2048 ch, stride 16); local domain classifier on res2 (256 ch).
# Spec: ../shared/specs/h2fa.md sections 1-4 and 10.
num_classes = 20
norm_cfg = dict(type='BN', requires_grad=False)  # FrozenBN
model = dict(
    _scope_='mmdet',
    type='wsl.H2FARCNN',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[103.530, 116.280, 123.675],  # BGR, std 1 (caffe)
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=101,
        num_stages=4,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),  # RES5_DILATION = 2
        out_indices=(0, 3),  # (res2, res5)
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=True,
        style='caffe',
        # local file, no download: the open-mmlab://detectron2/resnet101_caffe weights
        init_cfg=dict(type='Pretrained', checkpoint='data/pretrained/resnet101_msra-6cc46731.pth')),
    feat_index=-1,
    local_feat_index=0,
    rpn_head=dict(
        type='wsl.H2FARPNHead',
        in_channels=2048,
        feat_channels=2048,
        anchor_generator=dict(type='AnchorGenerator', scales=[2, 4, 8, 16, 32], ratios=[0.5, 1.0, 2.0],
                              strides=[16], center_offset=0.0),  # sizes 32..512, offset 0
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0], target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),  # L_rpn (source only)
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='StandardRoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0, aligned=True),  # ROIAlignV2
            out_channels=2048,
            featmap_strides=[16]),
        bbox_head=dict(
            type='Shared2FCBBoxHead',
            in_channels=2048,
            fc_out_channels=1024,
            roi_feat_size=7,
            num_classes=num_classes,
            bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                            target_stds=[0.1, 0.1, 0.2, 0.2]),  # weights (10, 10, 5, 5)
            reg_class_agnostic=False,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),  # L_det (source only)
            loss_bbox=dict(type='L1Loss', loss_weight=1.0))),
    alignments=dict(A1=True, A2=True, A3=True, A4=True),
    # A1: L_dc = loss_global_da (focal γ=5, no α) + loss_local_da (least squares), GRL λ = 1, weight 1 each.
    global_da_head=dict(type='wsl.H2FAGlobalDomainClassifier', in_channels=2048, channels=(512, 128, 128),
                        dropout=0.5, gamma=5.0, grl_lambda=1.0, loss_weight=1.0),
    local_da_head=dict(type='wsl.H2FALocalDomainClassifier', in_channels=256, channels=(256, 128), grl_lambda=1.0,
                       loss_weight=1.0),
    # A2: L_ic = loss_cam, weight 0.1.
    image_cls_head=dict(type='wsl.H2FAImageClassifier', in_channels=2048, num_classes=num_classes, loss_weight=0.1),
    # A3/A4: L_cls = loss_mil (IIR, Eqn 2), 512 random proposals per target image, weight 1.
    iir=dict(num_proposals=512, loss_weight=1.0, eps=1e-6),
    train_cfg=dict(
        rpn=dict(
            assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3, min_pos_iou=0.3,
                          match_low_quality=True, ignore_iof_thr=-1),
            sampler=dict(type='RandomSampler', num=256, pos_fraction=0.5, neg_pos_ub=-1, add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        rpn_proposal=dict(nms_pre=12000, max_per_img=2000, nms=dict(type='nms', iou_threshold=0.7),
                          min_bbox_size=0),
        rcnn=dict(
            assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.5,
                          match_low_quality=False, ignore_iof_thr=-1),
            sampler=dict(type='RandomSampler', num=512, pos_fraction=0.25, neg_pos_ub=-1, add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        rpn=dict(nms_pre=6000, max_per_img=1000, nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5), max_per_img=100)))
