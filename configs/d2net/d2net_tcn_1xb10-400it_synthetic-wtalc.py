# D2-Net (official-code losses and inference) on the 256-d synthetic W-TALC set: the configuration `wsl bench d2net`
# reports. L_D = 0.1·L_DS + 0.1·L_DV on even iterations after 100 (= the code's 1000 of 20k, scaled to a quarter
# of this schedule so that x_ref and the TCAM have warmed up).
_base_ = [
    '../_base_/models/d2net_i3d-tcn_thumos14.py',
    '../_base_/datasets/d2net_synthetic-wtalc.py',
    '../_base_/schedules/d2net_adam-400it.py',
    '../_base_/default_runtime.py',
]
model = dict(streams=dict(num_classes=6, in_channels=256), denoise_start_iter=100, denoise_interval=2)
default_hooks = dict(checkpoint=dict(interval=400, max_keep_ckpts=1))
