# Ablation on the synthetic set: L_Dis alone (Table 3), no L_D.
_base_ = ['./d2net_tcn_1xb10-400it_synthetic-wtalc.py']
model = dict(loss_cls=dict(type='DisLoss'), loss_snippet=None, loss_video=None)
