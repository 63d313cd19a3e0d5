# Ablation on THUMOS14 (official-code setting otherwise):
# L_F (Table 3): focal loss on the top-k pooled TCAM (Eq. 4 with w = 0), no L_D.
_base_ = ['./d2net_i3d_1xb20-20k_thumos14_code-parity.py']
model = dict(loss_cls=dict(_delete_=True, type='TopKFocalLoss'), loss_snippet=None, loss_video=None)
