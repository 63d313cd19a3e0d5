# The synthetic ray-cast room (wsl.datasets.synthetic.room) in 7-Scenes layout, 60 x 80 images. Generate it with
# `wsl bench nefes` or wsl.localization.nefes.room_setup.prepare_room('data/nefes_room'), which also writes the
# identity average pose used here, so the APR frame is the room frame turned 180 deg about x (the dSLAM axis fix):
# x in [-2, 2], y in [-2.6, 0], z in [-2, 2] metres.
data_root = 'data/nefes_room/room'
scene_dataset = dict(type='SevenScenesNeFeSDataset', scene='room', data_root=data_root, gt='dslam', img_height=60,
                     pose_avg_file=f'{data_root}/pose_avg_stats.txt',
                     scene_setup=dict(near=0.0, far=6.3, pose_scale=1.0, move_all_cam_vec=(0.0, 0.0, 0.0),
                                      pose_scale2=1.0))
pipeline = [dict(type='LoadNeFeSImage', bins=10), dict(type='PackNeFeSInputs')]

train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(**scene_dataset, split='train', pipeline=pipeline))

refine_dataset = dict(**scene_dataset, split='test', pipeline=pipeline)
