# H2FA R-CNN, CPU-sized for the synthetic shapes data: ResNet-18 (random init, trainable BN) in the DilatedC5 layout
# (res5 at stride 16), res2 = stage-1 output for the local domain classifier, no FPN: the RPN, RoI head, global
# domain classifier and image classifier all run on res5 (as the paper's R101-DC5). Borrowed composite in mmdet's
# scope; the wsl parts are written `wsl.X`.
num_classes = 4
model = dict(
    _scope_='mmdet',
    type='wsl.H2FARCNN',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=18,
        num_stages=4,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        out_indices=(0, 3),  # (res2, res5)
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    feat_index=-1,  # res5: RPN, RoI head, global DA, image classifier
    local_feat_index=0,  # res2: local DA
    rpn_head=dict(
        type='wsl.H2FARPNHead',
        in_channels=512,
        feat_channels=256,
        anchor_generator=dict(type='AnchorGenerator', scales=[1, 2, 4], ratios=[0.5, 1.0, 2.0], strides=[16]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0], target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),  # L_rpn (source only)
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='StandardRoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0, aligned=True),
            out_channels=512,
            featmap_strides=[16]),
        bbox_head=dict(
            type='Shared2FCBBoxHead',
            in_channels=512,
            fc_out_channels=256,
            roi_feat_size=7,
            num_classes=num_classes,
            bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                            target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),  # L_det (source only)
            loss_bbox=dict(type='L1Loss', loss_weight=1.0))),
    # A1 (L_dc = loss_global_da + loss_local_da), A2 (L_ic = loss_cam), A3/A4 (L_cls = loss_mil through IIR).
    alignments=dict(A1=True, A2=True, A3=True, A4=True),
    global_da_head=dict(type='wsl.H2FAGlobalDomainClassifier', in_channels=512, channels=(512, 128, 128),
                        dropout=0.5, gamma=5.0, grl_lambda=1.0, loss_weight=1.0),  # γ = 5, λ = 1
    local_da_head=dict(type='wsl.H2FALocalDomainClassifier', in_channels=64, channels=(256, 128), grl_lambda=1.0,
                       loss_weight=1.0),
    image_cls_head=dict(type='wsl.H2FAImageClassifier', in_channels=512, num_classes=num_classes,
                        loss_weight=0.1),  # L_ic weight 0.1
    iir=dict(num_proposals=128, loss_weight=1.0, eps=1e-6),  # 128 = the RoI batch per image here; L_cls weight 1
    train_cfg=dict(
        rpn=dict(
            assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3, min_pos_iou=0.3,
                          match_low_quality=True, ignore_iof_thr=-1),
            sampler=dict(type='RandomSampler', num=128, pos_fraction=0.5, neg_pos_ub=-1, add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        rpn_proposal=dict(nms_pre=1000, max_per_img=300, nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(
            assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.5,
                          match_low_quality=False, ignore_iof_thr=-1),
            sampler=dict(type='RandomSampler', num=128, pos_fraction=0.25, neg_pos_ub=-1, add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        rpn=dict(nms_pre=300, max_per_img=100, nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5), max_per_img=50)))
