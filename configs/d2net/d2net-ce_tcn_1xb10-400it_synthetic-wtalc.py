# Ablation on the synthetic set, L_CE (Table 3): binary cross-entropy on the top-k pooled TCAM, no L_D.
_base_ = ['./d2net_tcn_1xb10-400it_synthetic-wtalc.py']
model = dict(loss_cls=dict(_delete_=True, type='TopKBCELoss'), loss_snippet=None, loss_video=None)
