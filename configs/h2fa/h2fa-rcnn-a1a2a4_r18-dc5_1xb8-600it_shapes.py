# Ablation (Table B.1, A3 removed): A1 + A2 + A4 — the IIR loss trains the RoI class logits of target proposals but
# its gradient into the RPN objectness logits is stopped (the spec's mapping of "A4 only").
_base_ = './h2fa-rcnn_r18-dc5_1xb8-600it_shapes.py'
model = dict(alignments=dict(A1=True, A2=True, A3=False, A4=True))
