# Hong et al. 2020 (R2D2+LG+MA) on the official R2D2 training mix W A S F (the same sources as
# configs/_base_/datasets/r2d2_synthetic_flow_pairs.py; the paper:
# "Oxford/Paris retrieval images + some Aachen pairs"), tested on HPatches (the paper reports no HPatches numbers).
_base_ = ['./r2d2ctx_hrnet-w48_1xb4-25e_synthetic-pairs.py', '../_base_/datasets/r2d2_hpatches.py']
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        ignore_keys=['img_dir'],
        datasets=[
            dict(type='R2D2SyntheticPairDataset', img_dir='data/r2d2/images/', crop=192, short_side=(256, 1024),
                 max_tilt=0.5, scale2=(0.5, 2.0), noise=25, jitter=True),  # W
            dict(type='R2D2SyntheticPairDataset', img_dir='data/aachen/images_upright/db/', crop=192,
                 short_side=(256, 1024), max_tilt=0.5, scale2=(0.5, 2.0), noise=25, jitter=True),  # A
            dict(type='R2D2StillPairDataset', data_root='data/aachen/', img_dir='images_upright/db',
                 style_dir='style_transfer', crop=192, short_side=(256, 1024), max_tilt=0.5, scale2=(0.5, 2.0),
                 noise=25, jitter=True),  # S
            dict(type='R2D2FlowPairDataset',  # F data_root='data/aachen/', img_dir='images_upright/db',
                 flow_dir='optical_flow/flow', mask_dir='optical_flow/mask', flow_format='r2d2_png', crop=192,
                 short_side2=(256, 1024), jitter=True, trials=5, max_attempts=250),
        ]))
