# BBAM on the synthetic shapes data (CPU-sized): the shapes Faster R-CNN R-18 FPN (configs/faster_rcnn/...) labels
# the SOURCE train images; code-parity objective.
# Stride: at 128 px the paper's s(a) = 16 + 48 sqrt(a) gives 2x2..8x8 masks (the maps are just the box). Scaling it
# by 128/800 (2.56 + 7.68 sqrt(a): the paper's cell counts per object) gives cells of ~4 px, at or below the detector's
# finest feature stride (4), and checkerboard-like maps. A quarter of the paper's rule (4 + 12 sqrt(a): ~3-4 cells
# across a small object, cells >= 4 px) gave the best maps on shapes source train (9 objects, 300 steps, raw map >= 0.5
# inside the box vs the exact masks: mIoU 50.9 vs 29.3 for the 128/800 scaling).
#   python tools/bbam_generate.py configs/bbam/<this file> <detector .pth> --out work_dirs/bbam_shapes \
#       --cfg-options bbam_dataset.data_root=data/shapes/source/
_base_ = [
    '../faster_rcnn/faster-rcnn_r18_fpn_1xb8-600it_shapes.py',
    '../_base_/datasets/bbam_shapes-source-train.py',
    '../_base_/bbam/bbam_code-parity.py',
]
bbam = dict(
    stride_base=16.0 / 4,  # s(0) for 128 px inputs
    stride_scale=48.0 / 4,  # s(1) - s(0) for 128 px inputs
    max_batch_objects=16)  # 128x128 copies are cheap
