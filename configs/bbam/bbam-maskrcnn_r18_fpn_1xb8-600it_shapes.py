# BBAM downstream instance segmentation on the synthetic shapes data (CPU-sized): Mask R-CNN R-18 FPN trained on the
# strict (T_fg) + loose (T_loose) pseudo masks of the SOURCE train images with the seed-growing mask loss
# (specs/bbam.md §4.1), tested against the exact SOURCE test masks (mask AP, AP25/50/70/75, ABO).
#   python tools/train.py configs/bbam/<this file> --cfg-options \
#       train_dataloader.dataset.data_root=data/ train_dataloader.dataset.ann_file=<labels>/instances_strict.json \
#       train_dataloader.dataset.loose_ann_file=<labels>/instances_loose.json
_base_ = [
    '../_base_/models/bbam-seg_mask-rcnn_r18_fpn.py',
    '../_base_/datasets/bbam-seg_shapes-pseudo-instance.py',
    '../_base_/schedules/sgd_600it.py',
    '../_base_/det_runtime.py',
]
