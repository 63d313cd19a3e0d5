# DeepLab-v2 on a CPU budget for the 128x128 shapes images: ResNet-18 (random init, trainable BN), atrous
# layer3/layer4 (output stride 8), DeepLab-v2 ASPP head (wsl.DeepLabV2Head) with rates scaled to the small feature
# maps (1, 2, 3, 4 on the 8x8 maps of 64x64 crops instead of 6..24 on the 41x41 maps of 321x321 crops: the same
# 0.15..0.6 fractions of the map), 5 classes (background + 4 shapes), balanced CE.
model = dict(
    _scope_='mmseg',
    type='EncoderDecoder',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size=(64, 64)),  # pad every training batch to the crop size
    backbone=dict(
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(3, ),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        contract_dilation=False,
        init_cfg=None),
    decode_head=dict(
        type='wsl.DeepLabV2Head',
        in_channels=512,
        in_index=0,
        num_classes=5,
        dilations=(1, 2, 3, 4),
        ignore_index=255,
        align_corners=False,
        loss_decode=dict(type='wsl.BalancedCrossEntropyLoss')),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
