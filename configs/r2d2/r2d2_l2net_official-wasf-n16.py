# For extraction with the released weights (converted by tools/model_converters/r2d2_to_wsl.py):
#   python tools/extract_features.py configs/r2d2/r2d2_l2net_official-wasf-n16.py r2d2_WASF_N16_wsl.pth IMAGES OUT
default_scope = 'wsl'
model = dict(type='R2D2Net', mchan=4, dim=128, rep_activation='softplus')
extract_cfg = dict(scale_f=2**0.25, min_scale=0.0, max_scale=1.0, min_size=256, max_size=1024, rel_thr=0.7,
                   rep_thr=0.7, top_k=5000)
