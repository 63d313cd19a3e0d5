# Ablation R2D2+LG (no multi-scale aggregation).
_base_ = ['./r2d2ctx_hrnet-w48_1xb4-25e_synthetic-pairs.py']
model = dict(use_ma=False)
