# H2FA R-CNN with R101-C4, as the official code runs it: its Res5ROIHeads builds the 512-proposal subset but then
# aggregates ALL (~2000) target proposals in the IIR unit (spec section 3, step 2; it looks like a bug).
_base_ = [
    '../_base_/models/h2fa-rcnn_r101-caffe-c4.py',
    '../_base_/datasets/cdod_voc0712-clipart.py',
    '../_base_/schedules/h2fa_sgd-36k.py',
    '../_base_/det_runtime.py',
]
default_hooks = dict(checkpoint=dict(interval=5000, max_keep_ckpts=3), logger=dict(interval=20))
model = dict(iir=dict(num_proposals=-1))
