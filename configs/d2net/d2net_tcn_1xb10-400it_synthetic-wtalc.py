# D2-Net (official-code losses and inference) on the 256-d synthetic W-TALC set: the configuration `wsl bench d2net`
# reports. L_D = 0.1·L_DS + 0.1·L_DV on even iterations after 100 (= the code's 1000 of 20k, scaled to a quarter
# of this schedule so that x_ref and the TCAM have warmed up).
_base_ = [
    '../_base_/models/d2net_i3d-tcn_thumos14.py',
    '../_base_/datasets/d2net_synthetic-wtalc.py',
    '../_base_/schedules/d2net_adam-400it.py',
    '../_base_/default_runtime.py',
]
model = dict(
    streams=dict(num_classes=6, in_channels=256),
    denoise_start_iter=100,
    denoise_interval=2,
    # Inference constants of this set (official THUMOS code: min_len 2, S_th 0.1; the paper gives neither), chosen on
    # held-out data seeds 2001-2003, never the reported ones. Each ablation row inherits them; `wsl bench d2net` also
    # reports a test pass with the official values. Why: synthetic instances have flat TCAM plateaus, and the
    # thresholds θ that cross a plateau's noise leave 2-3-snippet fragments inside detected actions at 10-15% of the
    # top score (most of D2-Net's false positives at the official values; the baseline's are mostly merged instances).
    test_cfg=dict(
        min_len=3,  # runs >= 3 snippets: half the shortest synthetic instance (6), so shorter runs can never reach
        # IoU 0.5 with an instance (set from the generator, not tuned)
        score_ratio=0.2))  # S_th = 0.2 x the top score of the video-class, by the cross-entropy baseline's mean
# held-out F1@0.5 with min_len 3: 0.1: 90.6, 0.15: 91.4, 0.2: 91.4, 0.25: 90.9
default_hooks = dict(checkpoint=dict(interval=400, max_keep_ckpts=1))
