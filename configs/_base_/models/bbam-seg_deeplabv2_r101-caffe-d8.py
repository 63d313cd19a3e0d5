# DeepLab-v2-ResNet-101 as BBAM trains it (paper §4.1: kazuto1011/deeplab-pytorch DeepLabV2_ResNet101, ImageNet init;
# specs/bbam.md §4.2): caffe-style ResNet-101 (MSRA ImageNet weights, BGR mean subtraction, std 1, frozen BN), atrous
# layer3/layer4 (dilation 2/4, output stride 8), DeepLab-v2 ASPP head = sum of four 3x3 atrous classifiers with rates
# 6, 12, 18, 24 (wsl.DeepLabV2Head; MMSegmentation only has v3's ASPPHead), 21 classes, ignore label 255.
# deeplab-pytorch's MSC wrapper (wsl.MSCEncoderDecoder): the image and its 0.5x / 0.75x copies, logits max-fused;
# every branch and the fused map supervised in training; at test time the fused logits go through a dense CRF
# (deeplab-pytorch configs/voc12.yaml CRF block). test_crf=None / msc_scales=() switch either off.
model = dict(
    _scope_='mmseg',
    type='wsl.MSCEncoderDecoder',
    msc_scales=(0.5, 0.75),
    msc_fusion='max',
    msc_train=True,
    test_crf=dict(iterations=10, gaussian_sxy=1.0, gaussian_compat=3.0, bilateral_sxy=67.0, bilateral_srgb=3.0,
                  bilateral_compat=4.0),
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[104.008, 116.669, 122.675],  # deeplab-pytorch IMAGE.MEAN (B, G, R)
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False,
        pad_val=0,  # 0 after mean subtraction = the mean colour, as deeplab-pytorch pads
        seg_pad_val=255,
        size=(321, 321)),  # pad every training batch to the crop size
    backbone=dict(
        type='ResNet',
        depth=101,
        num_stages=4,
        out_indices=(3, ),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,  # deeplab-pytorch freezes BN
        style='caffe',
        contract_dilation=False,
        # Local file only (no download): https://download.openmmlab.com/pretrain/third_party/resnet101_msra-6cc46731.pth
        init_cfg=dict(type='Pretrained', checkpoint='data/pretrained/resnet101_msra-6cc46731.pth')),
    decode_head=dict(
        type='wsl.DeepLabV2Head',
        in_channels=2048,
        in_index=0,
        num_classes=21,
        dilations=(6, 12, 18, 24),  # MODEL.ATROUS_RATES
        ignore_index=255,
        align_corners=False,
        loss_decode=dict(type='wsl.BalancedCrossEntropyLoss')),  # balanced CE a la DSRG (AdvCAM issue #9)
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
