# The fixed-stride ablation (paper Fig. 7b: s = 24 or 48 for every object instead of s(a)) on shapes, with the
# shapes config's scaling of the paper's strides (/4): a fixed stride of 12 px (the coarse setting; 6 for the fine one).
_base_ = './bbam_faster-rcnn_r18_fpn_1xb8-600it_shapes.py'
bbam = dict(stride_mode='fixed', fixed_stride=48.0 / 4)
