# Mask R-CNN, ResNet-18 + 64-channel FPN, random init (no downloads), sized for the 128x128 shapes images on a CPU:
# the shapes Faster R-CNN (faster-rcnn_r18_fpn.py) plus a mask branch trained on BBAM pseudo masks with the official
# code's seed-growing loss (specs/bbam.md §4.1). The mask branch follows the official MaskRCNNFPNFeatureExtractor /
# C4Predictor (= mmdet FCNMaskHead: 14x14 RoIAlign, 4 convs, deconv, 28x28 output), at 64 channels.
_base_ = './faster-rcnn_r18_fpn.py'
model = dict(
    type='MaskRCNN',
    roi_head=dict(
        mask_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
            out_channels=64,
            featmap_strides=[4, 8, 16, 32]),
        mask_head=dict(
            type='wsl.SeedGrowingMaskHead',  # strict (T_fg) + loose (T_loose) 28x28 targets per positive RoI
            num_convs=4,
            in_channels=64,
            conv_out_channels=64,
            num_classes=4,
            loss_mask=dict(
                type='wsl.SeedGrowingMaskLoss',
                grow_threshold=0.9,  # tau: sigmoid > tau joins FG, < 1 - tau joins BG (official th_growing)
                neighbor_filter=True,  # a used pixel needs a same-label 8-neighbour
                loss_weight=1.0))),
    train_cfg=dict(rcnn=dict(mask_size=28)),
    test_cfg=dict(rcnn=dict(mask_thr_binary=0.5)))
