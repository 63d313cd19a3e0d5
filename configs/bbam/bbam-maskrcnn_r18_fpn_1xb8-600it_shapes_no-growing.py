# Ablation of the shapes Mask R-CNN without the growing technique G (paper Table 5): fixed seeds only (FG = T_fg,
# BG = outside T_loose, the band between them ignored), no 8-neighbour filter - the official loss's
# seed_growing=False branch (except its rule that ignores a whole RoI whose strict and loose targets are equal).
_base_ = './bbam-maskrcnn_r18_fpn_1xb8-600it_shapes.py'
model = dict(roi_head=dict(mask_head=dict(loss_mask=dict(grow_threshold=None, neighbor_filter=False))))
