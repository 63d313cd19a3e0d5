# Ablation on THUMOS14 (Table 4): L_D with L1 instead of pDMI, same pseudo-labels (λ') and predictions as L_DS at the
# snippet level, L1 between the pooled p and the labels at the video level. The paper only says the L1 loss
# denoises "the snippet-level activations"; both terms are replaced here so that no MI term is left.
_base_ = ['./d2net_i3d_1xb20-20k_thumos14_code-parity.py']
model = dict(loss_snippet=dict(_delete_=True, type='SnippetDenoiseLoss', kind='l1', loss_weight=0.1),
             loss_video=dict(_delete_=True, type='VideoDenoiseLoss', kind='l1', loss_weight=0.1))
