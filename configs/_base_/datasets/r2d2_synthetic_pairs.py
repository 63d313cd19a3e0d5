# Synthetic homography pairs (R2D2's W/A recipe) from any folder of images; 192x192 crops.
data_root = 'data/r2d2/images/'
train_dataloader = dict(
    batch_size=8, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='R2D2SyntheticPairDataset', img_dir=data_root, crop=192, short_side=(256, 1024),
                 max_tilt=0.5, scale2=(0.5, 2.0), noise=25, jitter=True))
