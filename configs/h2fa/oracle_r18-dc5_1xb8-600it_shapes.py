# Oracle with H2FA's detector layout: source AND target boxes (both box-supervised), 4 + 4 per batch.
_base_ = './h2fa-rcnn_r18-dc5_1xb8-600it_shapes.py'
model = dict(alignments=dict(A1=False, A2=False, A3=False, A4=False))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',  # untagged samples are box-supervised
        datasets=[{{_base_.source_train}}, {{_base_.target_train_boxes}}]))
optim_wrapper = dict(optimizer=dict(lr=0.02))  # the baselines' LR: twice H2FA's, as in the paper
