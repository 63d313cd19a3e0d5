# Cambridge Landmarks ShopFacade for NeFeS: DSAC*-converted layout (480-px images, poses/*.txt c2w), loaded at
# 240 x 427, constant focal 744 px at 480 px (trap T9), all training frames (the loader drops frames 35 and 42).
# Transient masks: the authors' Mask2Former masks (Cambridge_semantic.zip, 8-bit PNGs, 255 = static) copied to
# data/cambridge/ShopFacade/{train,test}/semantic/seq1_frame00001.png ... as the official data/setup_cambridge.py
# does. Training rays are drawn only from static pixels (mask area-resized to the 60 x 106 render grid, > 0.5, no
# erosion); stage-3 patch pixels that are not static are dropped from every loss. To train without masks set
# train_dataloader.dataset.mask_dir=None (LoadNeFeSMask then passes the samples through).
scene = 'ShopFacade'
data_root = f'data/cambridge/{scene}'
render_scale = 4  # "tinyscale": render grid = image / 4; LoadNeFeSMask and NeFeSModel must agree
scene_dataset = dict(type='CambridgeLandmarksNeFeSDataset', scene=scene, data_root=data_root, layout='dsacstar',
                     img_height=240)
pipeline = [dict(type='LoadNeFeSImage', bins=10), dict(type='PackNeFeSInputs')]  # N_b = 10 histogram bins
train_pipeline = [
    dict(type='LoadNeFeSImage', bins=10),
    dict(type='LoadNeFeSMask', render_scale=render_scale, threshold=0.5),  # static where area-averaged mask > 0.5
    dict(type='PackNeFeSInputs')
]

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(**scene_dataset, split='train', mask_dir='semantic', mask_suffix='.png',  # None: no masks
                 pipeline=train_pipeline))

# Test-time refinement (tools/nefes_refine.py) reads this dataset; it needs no masks.
refine_dataset = dict(**scene_dataset, split='test', pipeline=pipeline)
