# BBAM instance segmentation on PASCAL VOC 2012 with the paper's pseudo labels: theta_fg = 0.8 / theta_bg = 0.2 as
# value thresholds on the attribution map (paper §4.1; tools/bbam_make_labels.py --variant paper) instead of the
# code's box-area quantiles 0.85 / 0.2. The paper states no Mask R-CNN recipe beyond "ImageNet-pretrained Mask R-CNN
# with seed growing [Huang et al.]", so the training recipe is the official one (see the _code-parity config).
#   python tools/bbam_make_labels.py work_dirs/bbam_voc --variant paper --out data/bbam_voc_labels_paper
_base_ = './bbam-maskrcnn_r101-caffe_fpn_4xb2-20k_voc12-trainaug_code-parity.py'
train_dataloader = dict(
    dataset=dict(ann_file='bbam_voc_labels_paper/instances_strict.json',
                 loose_ann_file='bbam_voc_labels_paper/instances_loose.json'))
