# Ablation on THUMOS14, official-code setting otherwise: L_Dis alone (Table 3), no L_D.
_base_ = ['./d2net_i3d_1xb20-20k_thumos14_code-parity.py']
model = dict(loss_cls=dict(type='DisLoss'), loss_snippet=None, loss_video=None)
