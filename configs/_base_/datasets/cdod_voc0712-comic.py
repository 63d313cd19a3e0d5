# VOC2007+2012 trainval restricted to the 6 Comic2k classes -> Comic2k: the same classes, pipelines, splits
# (train 1000 / test 1000), batches and evaluation as Watercolor2k; only the target folder differs.
_base_ = './cdod_voc0712-watercolor.py'

target_root = 'data/comic/'
target_train = dict(data_root=target_root)
target_train_boxes = dict(data_root=target_root)
target_test = dict(data_root=target_root)
train_dataloader = dict(dataset=dict(target=dict(data_root=target_root)))
val_dataloader = dict(dataset=dict(data_root=target_root))
test_dataloader = dict(dataset=dict(data_root=target_root))
