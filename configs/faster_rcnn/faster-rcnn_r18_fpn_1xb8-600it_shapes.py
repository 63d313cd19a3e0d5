# Source-only baseline: Faster R-CNN R-18 FPN trained on the synthetic shapes SOURCE domain (boxes), evaluated with
# VOC mAP@0.5 on source-test (val) and target-test (test). The gap is the domain shift that H2FA R-CNN attacks.
_base_ = [
    '../_base_/models/faster-rcnn_r18_fpn.py',
    '../_base_/datasets/shapes_voc.py',
    '../_base_/schedules/sgd_600it.py',
    '../_base_/det_runtime.py',
]
