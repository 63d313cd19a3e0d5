# 7-Scenes chess for NeFeS: SfM (COLMAP) pseudo ground truth, images at 240 x 320 (dataset downscale df = 2), every
# 2nd training frame (trainskip 2), all test frames. NeFeS renders at 1/4 of the image (60 x 80, "tinyscale" 4).
# Data: data/7scenes/chess/seq-XX/frame-NNNNNN.color.png (+ TrainSplit/TestSplit.txt) and the COLMAP pose lists
# data/7scenes/colmap_poses/chess_{train,test}.txt shipped with the NeFeS release.
scene = 'chess'
data_root = f'data/7scenes/{scene}'
scene_dataset = dict(type='SevenScenesNeFeSDataset', scene=scene, data_root=data_root, gt='sfm',
                     sfm_pose_dir='data/7scenes/colmap_poses', img_height=240)
pipeline = [dict(type='LoadNeFeSImage', bins=10), dict(type='PackNeFeSInputs')]  # N_b = 10 histogram bins

train_dataloader = dict(
    batch_size=4,  # 4 images per step
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(**scene_dataset, split='train', frame_skip=2, pipeline=pipeline))

# Test-time refinement (tools/nefes_refine.py) reads this dataset; it is not a Runner test loop.
refine_dataset = dict(**scene_dataset, split='test', frame_skip=1, pipeline=pipeline)
