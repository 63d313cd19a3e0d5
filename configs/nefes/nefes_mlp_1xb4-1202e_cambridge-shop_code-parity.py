# NeFeS on Cambridge ShopFacade with the official code's epoch counts (601 + 200 + 401). Cambridge renders at
# 60 x 106 and refines without the verification fall-back (T14). ShopFacade's NeRF frame: far 20, s = 0.3027,
# m = (0, 0, 2.5), s2 = 0.32 (built into the dataset's scene table).
# Mask2Former transient masks (train/semantic/*.png) restrict the training rays to static pixels and drop non-static
# stage-3 patch pixels from every loss (see the dataset base for the layout and how to switch them off).
_base_ = [
    '../_base_/models/nefes_mlp.py',
    '../_base_/datasets/nefes_cambridge-shop.py',
    '../_base_/schedules/nefes_adam-1200e.py',
    '../_base_/default_runtime.py',
]
max_epochs = 1202
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs + 1)
param_scheduler = [dict(type='ExponentialLR', gamma=0.1**(1 / 754), by_epoch=True, begin=0, end=max_epochs)]
custom_hooks = [dict(type='NeFeSProgressiveHook', stage_epochs=(601, 200), reset_optimizer=True)]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=200, by_epoch=True, max_keep_ckpts=7))
log_processor = dict(by_epoch=True)
# 'error': an image with < rays_per_image static pixels on the render grid stops training, as the official
# sampler (without replacement) does; 'replace' samples that image's rays with replacement instead.
model = dict(render_scale=4, use_masks=True, mask_shortfall='error')

refine_cfg = dict(mode='apr', num_iters=50, lr=1e-5,
                  lr_rot=0.01, lr_trans=0.1,  # lr_R, lr_t: the code's Cambridge defaults for mode='pose'
                  render_size=(60, 106), feature_size=(240, 427), border=10, verify=False, freeze_bn=False)
