# Ablation on THUMOS14 (official-code setting otherwise):
# L_CE (Table 3): binary cross-entropy on the top-k pooled TCAM, no L_D.
_base_ = ['./d2net_i3d_1xb20-20k_thumos14_code-parity.py']
model = dict(loss_cls=dict(_delete_=True, type='TopKBCELoss'), loss_snippet=None, loss_video=None)
