# BBAM downstream semantic segmentation on the synthetic shapes data (CPU-sized): DeepLab-v2 (ASPP head) on a
# ResNet-18 at output stride 8, trained on the pseudo-label PNGs of the SOURCE train images with balanced CE (ignore
# 255), tested on the exact SOURCE test class maps (mIoU incl. background).
#   python tools/train.py configs/bbam/<this file> --cfg-options \
#       train_dataloader.dataset.data_prefix.seg_map_path=<labels>/SegmentationClassBBAM
_base_ = [
    '../_base_/models/bbam-seg_deeplabv2_r18-d8.py',
    '../_base_/datasets/bbam-seg_shapes-pseudo-semantic.py',
    '../_base_/schedules/sgd_600it.py',
    '../_base_/bbam-seg_seg-runtime.py',
]
optim_wrapper = dict(optimizer=dict(lr=0.01, weight_decay=5e-4), paramwise_cfg=dict(custom_keys={
    'decode_head': dict(lr_mult=10.0)}))
