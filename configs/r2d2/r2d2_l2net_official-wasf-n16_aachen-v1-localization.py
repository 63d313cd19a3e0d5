# Released R2D2 (WASF_N16) features localized the Aachen Day-Night v1 local-feature-challenge way, in Python:
#   python tools/extract_features.py configs/r2d2/r2d2_l2net_official-wasf-n16_aachen-v1-localization.py \
#       r2d2_WASF_N16_wsl.pth AACHEN/images/images_upright FEATURES
#   python tools/localize.py FEATURES --config configs/r2d2/r2d2_l2net_official-wasf-n16_aachen-v1-localization.py \
#       --queries AACHEN/queries/night_time_queries_with_intrinsics.txt \
#       --db-intrinsics AACHEN/3D-models/database_intrinsics.txt --db-nvm AACHEN/3D-models/aachen_cvpr2018_db.nvm \
#       --pairs AACHEN/image_pairs_to_match.txt --out r2d2_aachen_night.txt
# (the ground truth is withheld: upload the poses file to visuallocalization.net).
_base_ = ['./r2d2_l2net_official-wasf-n16.py']
# Extraction: the official extract.py defaults (5000 keypoints at <= 1024 px); naver/r2d2#14 used top_k=40000,
# min_size=128, max_size=9999, min_scale=0.3 with the N8_big model for the challenge.
extract_cfg = dict(top_k=5000)
localization_cfg = dict(
    keypoint_offset=0.5,  # pixel indices -> COLMAP pixels (hloc); the official script adds nothing
    ratio=None,  # mutual nearest neighbours only: the challenge's matcher and the seed paper's (§4.1)
    min_similarity=None,
    max_epipolar_error=4.0,  # px, our known-pose stand-in for COLMAP's geometric verification
    max_reproj_error=4.0,  # px, COLMAP triangulator
    min_tri_angle=1.5,  # degrees, COLMAP triangulator
    min_track_length=2,
    ransac_max_error=12.0,  # px, absolute-pose RANSAC (hloc localize_sfm, Aachen at 1600 px)
    min_num_inliers=0,  # as hloc; COLMAP's image_registrator would require 30
    refine_focal_length=False,
    refine_extra_params=False,
    seed=0)
