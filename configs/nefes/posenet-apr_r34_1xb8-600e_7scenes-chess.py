# PoseNet-style APR as NeFeS trains it (ResNet-34, fc 2048, ReLU, dropout 0, linear -> 12 = flattened 3x4 in the
# APR frame), pose MSE, Adam 1e-4, on 7-Scenes chess (SfM pGT). Initialise the trunk from ImageNet via
# model.apr.init_cfg.
_base_ = ['./dfnet-apr_vgg16_1xb4-600e_7scenes-chess.py']
model = dict(apr=dict(_delete_=True, type='PoseNetResNetAPR', depth=34, hidden=2048, dropout=0.0))  # T8: dropout 0
train_dataloader = dict(batch_size=8)
