# BBAM semantic segmentation on PASCAL VOC 2012 as the paper words it: "vanilla DeepLab-v2 [deeplab-pytorch] without
# any modification" - deeplab-pytorch's VOC defaults (configs/voc12.yaml): batch 10 (5 x iter_size 2; here 2 GPUs x 5),
# 20k iterations, lr 2.5e-4 (poly 0.9), scales 0.5..1.5, 321 crops, plain softmax cross-entropy, ignore 255.
_base_ = './bbam-deeplab_r101-caffe-d8_2xb5-30k_voc12-trainaug_code-parity.py'
scales = (0.5, 0.75, 1.0, 1.25, 1.5)  # DATASET.SCALES
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='RandomChoice', transforms=[[dict(type='Resize', scale_factor=s, keep_ratio=True)] for s in scales]),
    dict(type='mmseg.RandomCrop', crop_size=(321, 321), cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]))
# nn.CrossEntropyLoss(ignore_index=255): the mean over the non-ignored pixels
model = dict(decode_head=dict(loss_decode=dict(_delete_=True, type='CrossEntropyLoss', use_sigmoid=False,
                                               avg_non_ignore=True, loss_weight=1.0)))
max_iters = 20000
train_cfg = dict(max_iters=max_iters)
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False, begin=0, end=max_iters)]
