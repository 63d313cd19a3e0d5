# Hong et al. 2020: R2D2 + local-guided module + multi-scale aggregation (R2D2+LG+MA).
_base_ = ['../r2d2/r2d2_l2net_1xb8-25e_synthetic-pairs.py']
model = dict(
    type='R2D2Context',
    # HRNet-W48; the paper uses Cityscapes weights: give a local checkpoint, random init otherwise (not the paper)
    semantic=dict(type='HRNetSemanticBranch', model_name='hrnet_w48', checkpoint=None, out_channels=128,
                  frozen=True),  # our choice: frozen, BN in eval mode
    use_lg=True, use_ma=True,
    score_norm='sigmoid',  # Eq. 1 (P in [0.5, 0.731])
    detach_score=False,  # our choice
    aggregation='residual',  # our choice: y2 = f2(y1) + y1, y3 = f3(y2) + y2
    share_head=False,  # our choice: a separate final head
    lambda_final=1.0,  # λ in L_total = L_initial + λ·L_final (our choice: the paper is silent)
    extract_cfg=dict(top_k=20000))  # "Ours(20K)"
train_dataloader = dict(batch_size=4)
optim_wrapper = dict(optimizer=dict(lr=1e-3))  # the paper: Adam, lr 1e-3, batch 4, wd 5e-4, 25 epochs
