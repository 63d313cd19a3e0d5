"""The synthetic ray-cast room prepared for NeFeS configs (``configs/_base_/datasets/nefes_room.py``)."""
import json
import os.path as osp

import numpy as np

ROOM_SCENE = 'room'


def prepare_room(root: str, num_train: int = 120, num_test: int = 40, height: int = 60, width: int = 80,
                 seed: int = 0, supersample: int = 2) -> str:
    """Generate the room under ``root/room`` (once per set of arguments) with an identity average pose.

    The identity ``pose_avg_stats.txt`` makes the APR frame the room frame turned 180 degrees about x (the
    7-Scenes dSLAM axis fix), so field bounds can be written in the config: x in [-2, 2], y in [-2.6, 0],
    z in [-2, 2] metres. (An average of cameras looking outwards all around the room has an ill-defined
    viewing axis, so re-centring on it would give an arbitrary rotation.)

    Returns:
        str: the scene folder (``root/room``).
    """
    from wsl.datasets.synthetic.room import make_room_dataset
    scene_dir = osp.join(root, ROOM_SCENE)
    meta_path = osp.join(scene_dir, 'room_meta.json')
    wanted = dict(seed=seed, height=height, width=width, num_train=num_train, num_test=num_test,
                  supersample=supersample)
    if osp.isfile(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if all(meta.get(k) == v for k, v in wanted.items()) and osp.isfile(osp.join(scene_dir, 'pose_avg_stats.txt')):
            return scene_dir
    make_room_dataset(root, scene_name=ROOM_SCENE, **wanted)
    np.savetxt(osp.join(scene_dir, 'pose_avg_stats.txt'), np.eye(3, 4), fmt='%.1f')
    return scene_dir
