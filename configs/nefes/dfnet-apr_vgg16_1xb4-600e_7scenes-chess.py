# DFNet-style APR (VGG-16 trunk, GAP, linear 512 -> 12) trained with the pose loss on 7-Scenes chess (SfM pGT,
# 240 x 320 images, all training frames). This is DFNet's supervised stage; its feature-metric stages (triplet loss
# against NeRF renders, random view synthesis, direct feature matching on unlabelled data) are not reproduced here.
# Initialise the VGG-16 trunk from ImageNet weights via model.apr.init_cfg.
_base_ = [
    '../_base_/datasets/nefes_7scenes-chess.py',
    '../_base_/schedules/nefes_apr_adam.py',
    '../_base_/default_runtime.py',
]
model = dict(type='NeFeSAPRModel', apr=dict(type='DFNet', feature_channels=128), loss_weight=1.0)
train_dataloader = dict(dataset=dict(frame_skip=1))
val_dataloader = dict(batch_size=1, num_workers=2, sampler=dict(type='DefaultSampler', shuffle=False),
                      collate_fn=dict(type='pseudo_collate'), dataset={{_base_.refine_dataset}})
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=50, by_epoch=True, max_keep_ckpts=3))
log_processor = dict(by_epoch=True)
