# BBAM hyper-parameters read literally from the paper (Eq. 1-3, §3.3, §4.1): plain L1 norms (box term summed over
# the 4 deltas, both heads weighted 1), no TV term, positives = correct class and IoU > 0.8 with no cap.
# The paper says nothing about the mask's initial value: the code's (1 on the positives' regressed boxes) is kept.
_base_ = './bbam_code-parity.py'
bbam = dict(
    sampler=dict(
        iou_thresholds=(0.8, ),  # "IoU ... greater than 0.8"
        max_positives=1000),  # no cap (= num_jitters)
    loss=dict(
        box_weight=1.0,  # 1_box * ||t^c - f_box||_1
        cls_weight=1.0,  # 1_cls * ||p^c - f_cls||_1
        box_reduction='sum',
        tv_weight=0.0))  # no TV term in the paper
