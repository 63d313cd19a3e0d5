# Ablation on the synthetic set, L_F (Table 3): focal loss on the top-k pooled TCAM (Eq. 4 with w = 0), no L_D.
_base_ = ['./d2net_tcn_1xb10-400it_synthetic-wtalc.py']
model = dict(loss_cls=dict(_delete_=True, type='TopKFocalLoss'), loss_snippet=None, loss_video=None)
