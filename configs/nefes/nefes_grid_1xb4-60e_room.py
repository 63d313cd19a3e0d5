# NeFeS with the voxel-grid backend on the synthetic ray-cast room (`wsl bench nefes`): 60 x 80 images rendered at
# full size (render_scale 1), DFNet level-0 features with 32 channels from an untrained (random, fixed) DFNet, a
# compressed progressive schedule (T1/T2/T3 = 30/10/20 epochs), 16 + 16 samples per ray,
# 256 rays per image.
_base_ = [
    '../_base_/datasets/nefes_room.py',
    '../_base_/schedules/nefes_adam-1200e.py',
    '../_base_/default_runtime.py',
]
feat_ch = 32
grid = dict(type='NeFeSGridField', bounds=((-2.05, -2.65, -2.05), (2.05, 0.05, 2.05)), grid_channels=4, width=64,
            geo_channels=15, dir_freqs=4, feature_channels=feat_ch)
model = dict(
    type='NeFeSModel',
    nefes=dict(coarse=dict(**grid, resolutions=(16, 32)),
               fine=dict(**grid, resolutions=(16, 32, 64), transient=True, transient_layers=1),
               act=dict(bins=10, width=32, num_layers=4, bias=True),
               fusion=dict(feature_channels=feat_ch, mid_channels=32, norm=True, bn_batch_stats=True),
               renderer=dict(num_coarse=16, num_fine=16, last_delta=100.0, beta_min=0.1, use_transient=True),
               chunk=16384),
    feature_extractor=dict(type='DFNet', feature_channels=feat_ch),
    render_scale=1,
    rays_per_image=256,
    num_patches=2,  # N_crop
    patch_size=12,  # S
    lambda_feat=(0.0, 0.04, 0.02),  # lambda_1
    lambda_fusion=(0.0, 0.0, 0.02),  # lambda_2
    stage=1)
max_epochs = 60
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs + 1)
# Voxels at 5e-2, decoders and fusion CNN at 5e-3 (10x the paper's 5e-4: the schedule is ~1000x shorter).
optim_wrapper = dict(optimizer=dict(lr=5e-3), paramwise_cfg=dict(custom_keys={'grids': dict(lr_mult=10.0)}))
param_scheduler = [dict(type='ExponentialLR', gamma=0.1**(1 / 60), by_epoch=True, begin=0, end=max_epochs)]
custom_hooks = [dict(type='NeFeSProgressiveHook', stage_epochs=(30, 10), reset_optimizer=True)]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=max_epochs, by_epoch=True),
                     logger=dict(interval=10))
log_processor = dict(by_epoch=True)

refine_cfg = dict(mode='pose', num_iters=40, lr=1e-4, lr_rot=0.005, lr_trans=0.02, render_size=(60, 80),
                  feature_size=(60, 80), border=4, verify=False, freeze_bn=False)
