# Cambridge Landmarks ShopFacade for NeFeS: DSAC*-converted layout (480-px images, poses/*.txt c2w), loaded at
# 240 x 427, constant focal 744 px at 480 px (trap T9), all training frames (the loader drops frames 35 and 42).
scene = 'ShopFacade'
data_root = f'data/cambridge/{scene}'
scene_dataset = dict(type='CambridgeLandmarksNeFeSDataset', scene=scene, data_root=data_root, layout='dsacstar',
                     img_height=240)
pipeline = [dict(type='LoadNeFeSImage', bins=10), dict(type='PackNeFeSInputs')]

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(**scene_dataset, split='train', pipeline=pipeline))

refine_dataset = dict(**scene_dataset, split='test', pipeline=pipeline)
