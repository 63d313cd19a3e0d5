# Oracle for h2fa-rcnn_r101-caffe-dc5_2xb4-36k_voc0712-to-comic-extra.py: source + target boxes, no alignment; batch
# 8, lr 0.01.
_base_ = './h2fa-rcnn_r101-caffe-dc5_2xb4-36k_voc0712-to-comic-extra.py'
model = dict(alignments=dict(A1=False, A2=False, A3=False, A4=False))
optim_wrapper = dict(optimizer=dict(lr=0.01))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',  # untagged samples: both domains box-supervised
        datasets=[{{_base_.source_train}}, {{_base_.target_train_boxes}}]))  # train split only: extra has no real boxes
