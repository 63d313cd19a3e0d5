# Ablation: A1 + A2 (image-level alignments only), no IIR (A3/A4).
_base_ = './h2fa-rcnn_r18-dc5_1xb8-600it_shapes.py'
model = dict(alignments=dict(A1=True, A2=True, A3=False, A4=False))
