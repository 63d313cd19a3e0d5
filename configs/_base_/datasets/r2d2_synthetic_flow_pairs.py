# R2D2's training mix (official --train-data "W A S F"), the way naver/r2d2 train.py concatenates its sources
# (CatPairDataset): synthetic homography pairs from a folder of images (W: web images; A: Aachen db images), still
# pairs of Aachen db images and their day->night style transfers (S: `style_transfer/<tag>.jpg.st_*`, identity flow
# rescaled to image 2, then the synthetic-pair jitter) and real pairs with optical flow (F: Aachen db pairs,
# `optical_flow/{flow,mask}/<tag1>_<tag2>.png`). 192x192 crops; every pair's image 2 gets colour jitter.
web_root = 'data/r2d2/images/'
aachen_root = 'data/aachen/'
train_dataloader = dict(
    batch_size=8, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='ConcatDataset',
        ignore_keys=['img_dir'],  # the parts describe different folders
        datasets=[
            dict(type='R2D2SyntheticPairDataset', img_dir=web_root, crop=192, short_side=(256, 1024), max_tilt=0.5,
                 scale2=(0.5, 2.0), noise=25, jitter=True),  # W
            dict(type='R2D2SyntheticPairDataset', img_dir=aachen_root + 'images_upright/db/', crop=192,
                 short_side=(256, 1024), max_tilt=0.5, scale2=(0.5, 2.0), noise=25, jitter=True),  # A
            dict(type='R2D2StillPairDataset', data_root=aachen_root, img_dir='images_upright/db',
                 style_dir='style_transfer', crop=192, short_side=(256, 1024), max_tilt=0.5, scale2=(0.5, 2.0),
                 noise=25, jitter=True),  # S
            dict(type='R2D2FlowPairDataset',  # F data_root=aachen_root, img_dir='images_upright/db',
                 flow_dir='optical_flow/flow', mask_dir='optical_flow/mask', flow_format='r2d2_png', crop=192,
                 short_side2=(256, 1024),  # official RandomScale(256, 1024, can_upscale=True) on image 2
                 jitter=True,  # official ColorJitter(0.2, 0.2, 0.2, 0.1) on image 2
                 trials=5, max_attempts=250),  # official window search
        ]))
