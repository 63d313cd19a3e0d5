# PoseNet-style APR (ResNet-18 from scratch, fc 512) on the synthetic ray-cast room, 30 x 40 images: the APR whose
# test poses `wsl bench nefes` (full run) refines in APR-weights mode. Adam 1e-3 (10x DFNet's 1e-4: random init,
# ~700 iterations).
_base_ = [
    '../_base_/datasets/nefes_room.py',
    '../_base_/schedules/nefes_apr_adam.py',
    '../_base_/default_runtime.py',
]
model = dict(type='NeFeSAPRModel', apr=dict(type='PoseNetResNetAPR', depth=18, hidden=512, dropout=0.0))
max_epochs = 60
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_dataloader = dict(batch_size=8)
val_dataloader = dict(batch_size=4, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
                      collate_fn=dict(type='pseudo_collate'), dataset={{_base_.refine_dataset}})
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=max_epochs, by_epoch=True))
log_processor = dict(by_epoch=True)
