# Source-only baseline for h2fa-rcnn_r101-caffe-dc5_2xb4-24k_voc0712-to-comic.py: the same detector with no alignment,
# trained on source boxes only;
# batch 8 (2 GPUs x 4), lr 0.01, same schedule; tested on the target test split.
_base_ = './h2fa-rcnn_r101-caffe-dc5_2xb4-24k_voc0712-to-comic.py'
model = dict(alignments=dict(A1=False, A2=False, A3=False, A4=False))
optim_wrapper = dict(optimizer=dict(lr=0.01))
train_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='mmdet.AspectRatioBatchSampler'),
    dataset={{_base_.source_train}})
