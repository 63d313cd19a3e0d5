# BBAM hyper-parameters as the official code runs them (jbeomlee93/BBAM, tools/BBAM/BBAM_training_images_multi.py;
# specs/bbam.md §1-§2). Symbols follow the paper (Eq. 1-3, §3.2-§3.3, §4.1).
bbam = dict(
    seed=0,  # seed of the jittered proposals (the code draws them with Python random, unseeded)
    keep_ignored=True,  # keep boxes flagged ignore (VOC 'difficult' boxes are kept by the code)
    # --- optimisation (paper §4.1: Adam, lr 0.02, 300 iterations); projected: M clamped to [0, 1] after each step
    num_steps=300,  # Adam iterations per mask
    lr=0.02,  # Adam learning rate
    # --- perturbation unit (paper §3.2): s(a) = stride_base + stride_scale * sqrt(a), a = GT box area / image area
    # in the resized network input; mask (int(H/s), int(W/s)); 'fixed' uses fixed_stride (Fig. 7b: 24 or 48)
    stride_mode='adaptive',
    stride_base=16.0,  # s(0)
    stride_scale=48.0,  # s(1) - s(0)
    fixed_stride=32.0,
    # --- speed: 'batched' stacks one image copy per object (several objects and images per forward);
    # 'per_object' is the official one-object-at-a-time loop. Same maps (frozen BN), different speed.
    strategy='batched',
    max_batch_objects=8,  # image copies per forward (memory bound: about 8 for R-101 at 800x1333 on an 80 GB GPU)
    roi_chunk_size=8192,  # RoIs per box-head call in the clean scoring pass
    # --- O (jittered proposals) and O+ (positives), paper §3.3 "Creating masks"
    sampler=dict(
        type='BBAMProposalSampler',
        num_jitters=1000,  # |O| per GT box (code; the paper gives no number)
        jitter_ratio=0.3,  # each coordinate moved by up to +-30 % of the box width (x) / height (y)
        iou_thresholds=(0.9, 0.85, 0.8),  # tau cascade (code); the paper says IoU > 0.8
        max_positives=100),  # cap on |O+| (code)
    # --- L = L_perturb (Eq. 3) + lambda * sum(M) + tv_weight * TV_beta(M)
    loss=dict(
        type='BBAMLoss',
        lambda_sparsity=0.007,  # lambda, Eq. 1 (on the SUM over the low-resolution mask)
        use_box=True,  # 1_box, Eq. 2-3
        use_cls=True,  # 1_cls, Eq. 2-3
        box_weight=0.5,  # code: 1/2 * mean over the 4 encoded target-class deltas
        cls_weight=0.5,  # code: 1/2 * |p_c - p^_c| (softmax probability of the target class)
        box_reduction='mean',
        tv_weight=1e-4,  # undocumented TV term of the code (0 in the paper)
        tv_beta=3.0,  # beta of the TV term
        tv_diagonal=True,
        tv_duplicate_diagonals=True))  # the code counts each diagonal direction twice
