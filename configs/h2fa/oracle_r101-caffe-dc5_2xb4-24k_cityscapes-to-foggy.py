# Oracle for h2fa-rcnn_r101-caffe-dc5_2xb4-24k_cityscapes-to-foggy.py: target boxes only (as the paper's Foggy
# oracle), no alignment; batch 8, lr 0.01.
_base_ = './h2fa-rcnn_r101-caffe-dc5_2xb4-24k_cityscapes-to-foggy.py'
model = dict(alignments=dict(A1=False, A2=False, A3=False, A4=False))
optim_wrapper = dict(optimizer=dict(lr=0.01))
train_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='mmdet.AspectRatioBatchSampler'),
    dataset={{_base_.target_train_boxes}})  # the Foggy oracle trains on the target only
