# Source-only baseline with H2FA's detector layout (R-18 DC5, single level, no alignments): source boxes only,
# batch 8; tested on target-test like H2FA.
_base_ = './h2fa-rcnn_r18-dc5_1xb8-600it_shapes.py'
model = dict(alignments=dict(A1=False, A2=False, A3=False, A4=False))
train_dataloader = dict(
    _delete_=True,
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset={{_base_.source_train}})
optim_wrapper = dict(optimizer=dict(lr=0.02))  # the baselines' LR: twice H2FA's, as in the paper
