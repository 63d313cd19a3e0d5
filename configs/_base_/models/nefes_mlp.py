# NeFeS with the paper's MLP fields (coarse + fine, W = 128, 8 layers, skip at the 5th, 64 + 64 samples), ACT from
# the 10-bin luminance histogram, fusion CNN, and a frozen DFNet feature extractor (level 0, 128 channels).
# The feature extractor must carry trained DFNet weights: set model.feature_extractor.init_cfg to
# dict(type='Pretrained', checkpoint=...) with a checkpoint in this toolkit's DFNet layout.
model = dict(
    type='NeFeSModel',
    nefes=dict(
        coarse=dict(type='NeFeSField', depth=8, width=128, skips=(4, ), pos_freqs=10, dir_freqs=4,
                    feature_channels=128),
        fine=dict(type='NeFeSField', depth=8, width=128, skips=(4, ), pos_freqs=10, dir_freqs=4,
                  feature_channels=128, transient=True, transient_layers=3),
        act=dict(bins=10, width=32, num_layers=4, bias=False),  # N_b = 10; bias-free as the tcnn original (T12)
        fusion=dict(feature_channels=128, mid_channels=64, norm=True, residual=False, bn_batch_stats=True),  # T19
        renderer=dict(num_coarse=64, num_fine=64, last_delta=100.0, beta_min=0.1, use_transient=True),  # T6, T11
        chunk=8192),
    feature_extractor=dict(type='DFNet', feature_channels=128),
    render_scale=4,  # "tinyscale": render at 1/4 of the 240-px image
    rays_per_image=1536,  # stages 1-2
    num_patches=7,  # N_crop, stage 3
    patch_size=16,  # S
    lambda_feat=(0.0, 0.04, 0.02),  # lambda_1 per stage (Eq. 4)
    lambda_fusion=(0.0, 0.0, 0.02),  # lambda_2 per stage
    stage=1)
