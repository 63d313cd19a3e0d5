# Ablation on THUMOS14 (Table 4): L_D with BCE instead of pDMI, same pseudo-labels (λ') and predictions as L_DS at the
# snippet level, BCE between the pooled p and the labels at the video level. The paper only says the BCE loss
# denoises "the snippet-level activations"; both terms are replaced here so that no MI term is left.
_base_ = ['./d2net_i3d_1xb20-20k_thumos14_code-parity.py']
model = dict(loss_snippet=dict(_delete_=True, type='SnippetDenoiseLoss', kind='bce', loss_weight=0.1),
             loss_video=dict(_delete_=True, type='VideoDenoiseLoss', kind='bce', loss_weight=0.1))
