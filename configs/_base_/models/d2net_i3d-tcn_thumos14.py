# D2-Net on THUMOS14 as the official code builds it (naraysa/D2-Net @ 28b9e4f5); configs/d2net/README.md lists
# where the paper differs (the *_paper configs override those values).
num_classes = 20  # C
model = dict(
    type='D2Net',
    streams=dict(
        type='TwoStreamTCN',
        num_classes=num_classes,
        in_channels=2048,  # d: I3D RGB 1024 | flow 1024; x(t) has d/2 = 1024 dims
        kernel_size=3, dilation=1,  # TC1/TC2 (kernel, dilation) = (3, 1) on THUMOS14
        cls_kernel_size=1, cls_dilation=1,  # TC3: 1x1 in the code (paper: (3, 1) like TC1/TC2)
        negative_slope=0.2,  # LeakyReLU slope
        residual=True,  # code only: TC1 + input, TC2 + TC1
        dropout=0.7,  # code only: dropout before TC3; the training losses see post-dropout x(t)
        init_std=0.01),  # conv weights ~ N(0, 0.01), biases 0
    loss_cls=dict(
        type='DisLoss',  # L_Dis, Eq. 2-4
        k_divisor=None,  # top-k k = ceil(s/8) (ceil(s/4) when C = 100 in the code)
        fg_thresh=0.5,  # τ on λ (Eq. 2)
        bg_thresh=0.5,  # τ on λ_b = 1 - λ (ActivityNet code: 0.8)
        gamma=0.01,  # γ, intra-class compactness weight (Eq. 3; --grouping-wt)
        beta=2.0,  # β, focusing parameter (Eq. 4)
        pos_weight='num_classes',  # code only: positive entries × C
        fb_row_bug=False),  # official w_fb row-indexing bug: off unless set explicitly
    loss_snippet=dict(type='SnippetPDMILoss', loss_weight=0.1,  # L_DS weight (--lds-wt; paper α = 0.2)
                      fg_thresh=0.5, bg_thresh=0.5,  # t_f = {λ' > 0.5}, t_b = {λ' < 0.5}
                      fg_over_gt=True, normalize='class'),  # code: q on t_f over GT classes; per-class rows
    loss_video=dict(type='VideoPDMILoss', loss_weight=0.1,  # L_DV weight (--ldv-wt; paper α = 0.2)
                    mask_ratio=0.2, normalize='class', sv_thresh=1e-5),  # code: p > 0.2 max(p), L1-normalised
    denoise_start_iter=1000,  # code: L_D only after 1000 iterations (--pdmi-iter) ...
    denoise_interval=2,  # ... and on even iterations
    xref_momentum=0.1,  # x_ref ← 0.9·x_ref + 0.1·batch mean (Eq. 8)
    xref_bg_thresh=0.5,
    test_cfg=dict(
        select_on='refined', class_rule='half_max',  # code: class score c_s on r = λ'·T, keep c_s > max/2
        k_divisor=8, k_rounding='floor',  # c_s = mean of the top floor(s/8) of r
        lambda_rescale_max=None,  # ActivityNet code: λ' rescaled to max 2
        thresholds=[j / 40 for j in range(1, 20)],  # θ = 0.025 ... 0.475 (paper: ... 0.5)
        min_len=2,  # proposals of >= 2 snippets
        inflate=0.25,  # outer-inner contrast: 25% of the width on each side
        contrast_thr=0.7,  # code: keep (outer - inner + 1)/2 <= 0.7 (paper: none)
        nms_iou=0.3,  # code default (paper: 0.5)
        score_ratio=0.1))  # S_th: keep scores >= 0.1 · top score of the video-class
