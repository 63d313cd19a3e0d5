# H2FA R-CNN, R101-DC5 (the paper's default), VOC07+12 (6 classes) -> Watercolor2k train + noisy extra (image labels
# only).
# 2 GPUs x (2 source + 2 target), lr 0.005, 36000 iterations (steps [24000, 32000], warm-up 400).
# One GPU (2 + 2 images): --auto-scale-lr gives lr 0.0025; the official README's recipe also doubles the schedule:
#   --cfg-options train_cfg.max_iters=72000 param_scheduler.1.end=72000 "param_scheduler.1.milestones=[48000, 64000]"
_base_ = [
    '../_base_/models/h2fa-rcnn_r101-caffe-dc5.py',
    '../_base_/datasets/cdod_voc0712-watercolor.py',
    '../_base_/schedules/h2fa_sgd-36k.py',
    '../_base_/det_runtime.py',
]
default_hooks = dict(checkpoint=dict(interval=5000, max_keep_ckpts=3), logger=dict(interval=20))
model = dict(roi_head=dict(bbox_head=dict(num_classes=6)), image_cls_head=dict(num_classes=6))
# Target = train (1000) + extra (image-level labels only); labels read from the XML names, never as boxes.
train_dataloader = dict(
    dataset=dict(target=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(type='WslImageLabelDataset', label_source='xml', data_root='data/watercolor/',
                 ann_file='ImageSets/Main/' + split + '.txt', metainfo={{_base_.metainfo}},
                 filter_cfg=dict(filter_empty_gt=True), pipeline={{_base_.target_pipeline}})
            for split in ('train', 'extra')
        ])))
