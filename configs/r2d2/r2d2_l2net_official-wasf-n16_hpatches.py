# The released R2D2 (WASF_N16) on HPatches, D2-Net protocol (MMA@1..10, overall / illumination / viewpoint):
#   python tools/model_converters/r2d2_to_wsl.py r2d2_WASF_N16.pt r2d2_WASF_N16_wsl.pth
#   python tools/test.py configs/r2d2/r2d2_l2net_official-wasf-n16_hpatches.py r2d2_WASF_N16_wsl.pth
# Extraction: the official extract.py defaults (<= 1024 px levels, 5000 keypoints); the r2d2 README reports
# MMA@3 = 0.721 for this model at these settings (0.758 with min_size=0, max_size=9999, min_scale=0.3).
_base_ = ['../_base_/models/r2d2_l2net.py', '../_base_/datasets/r2d2_hpatches.py', '../_base_/default_runtime.py']
model = dict(extract_cfg=dict(scale_f=2**0.25, min_scale=0.0, max_scale=1.0, min_size=256, max_size=1024,
                              rel_thr=0.7, rep_thr=0.7, top_k=5000))
