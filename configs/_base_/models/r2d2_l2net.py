# R2D2 (Revaud et al. 2019), the official Quad_L2Net_ConfCFS with its loss weights (all 1).
model = dict(
    type='R2D2',
    data_preprocessor=dict(type='R2D2PairDataPreprocessor', bgr_to_rgb=False),  # the pair dataset yields RGB
    trunk=dict(type='R2D2Trunk', mchan=4, dim=128),
    head=dict(type='R2D2Head', rep_activation='softplus'),  # the released models' repeatability (parity)
    loss_reliability=dict(
        type='R2D2ReliabilityLoss', nq=20, kappa=0.5, loss_weight=1.0,  # κ, Eq. 5 (official base=0.5)
        sampler=dict(type='R2D2NghSampler', ngh=7, subq=-8, subd=1, pos_d=3, neg_d=5, border=16, subd_neg=-8,
                     maxpool_pos=True)),
    loss_cosim=dict(type='R2D2CosimLoss', n=16, mask_invalid=False, loss_weight=1.0),  # N, Eq. 3
    loss_peaky=dict(type='R2D2PeakyLoss', n=16, loss_weight=1.0),  # N, Eq. 4
    extract_cfg=dict(scale_f=2**0.25, min_scale=0.0, max_scale=1.0, min_size=256, max_size=1024, rel_thr=0.7,
                     rep_thr=0.7, top_k=5000))
