# The synthetic ray-cast room (wsl.datasets.synthetic.room) in 7-Scenes layout, 30 x 40 images. Generate it with
# `wsl bench nefes` or wsl.localization.nefes.room_setup.prepare_room('data/nefes_room'), which also writes the
# identity average pose used here, so the APR frame is the room frame turned 180 deg about x (the dSLAM axis fix):
# x in [-2, 2], y in [-2.6, 0], z in [-2, 2] metres. far = 4.5 m covers every depth seen from the camera loops
# (the last interval, delta = 100, catches the rest).
data_root = 'data/nefes_room/room'
scene_dataset = dict(type='SevenScenesNeFeSDataset', scene='room', data_root=data_root, gt='dslam', img_height=30,
                     pose_avg_file=f'{data_root}/pose_avg_stats.txt',
                     scene_setup=dict(near=0.0, far=4.5, pose_scale=1.0, move_all_cam_vec=(0.0, 0.0, 0.0),
                                      pose_scale2=1.0))
pipeline = [dict(type='LoadNeFeSImage', bins=10), dict(type='PackNeFeSInputs')]

train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(**scene_dataset, split='train', pipeline=pipeline))

refine_dataset = dict(**scene_dataset, split='test', pipeline=pipeline)
