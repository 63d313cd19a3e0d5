# R2D2 trained the official way on synthetic homography pairs + real optical-flow pairs (W A S F), tested on HPatches:
#   python tools/train.py configs/r2d2/r2d2_l2net_1xb8-25e_synthetic-flow-pairs.py
#   python tools/test.py configs/r2d2/r2d2_l2net_1xb8-25e_synthetic-flow-pairs.py work_dirs/.../epoch_25.pth
_base_ = ['../_base_/models/r2d2_l2net.py', '../_base_/datasets/r2d2_synthetic_flow_pairs.py',
          '../_base_/datasets/r2d2_hpatches.py', '../_base_/schedules/adam_25e.py', '../_base_/default_runtime.py']
log_processor = dict(by_epoch=True)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1))
