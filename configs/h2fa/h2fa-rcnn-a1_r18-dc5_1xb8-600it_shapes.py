# Ablation (Table B.1 row b): A1 only (image-level adversarial alignment), no A2 / IIR.
_base_ = './h2fa-rcnn_r18-dc5_1xb8-600it_shapes.py'
model = dict(alignments=dict(A1=True, A2=False, A3=False, A4=False))
