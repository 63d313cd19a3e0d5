"""HRNet semantic branch of the context-aggregated R2D2 (Hong et al. 2020, §3.2).

Our choices where the paper is silent (spec §6.2): the HRNetV2 representation (the four stage-4
branches, upsampled bilinearly to stride 4 and concatenated: 720 channels for W48), a 1x1
conv + BN + ReLU to 128 channels at stride 4, bilinear upsampling to the input grid; the input is
padded to a multiple of 32 (timm's HRNet fuses with nearest x2^k upsampling) and the padding is
cropped off. HRNet is frozen with BN in eval mode by default. Weights come only from a local file:
no download.
"""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wsl.registry import MODELS

# Parameter groups of HRNet checkpoints that the feature extractor does not hold (classification
# heads of timm / the official classification code, the segmentation head of HRNet-Semantic-Segmentation).
_HEAD_PREFIXES = ('incre_modules', 'downsamp_modules', 'final_layer', 'classifier', 'last_layer', 'aux_head')
_WRAPPER_PREFIXES = ('module.', 'model.', 'backbone.')


def load_hrnet_weights(hrnet: nn.Module, path: str) -> dict:
    """Load HRNet backbone weights from a local ImageNet (timm) or Cityscapes (HRNet-Semantic-
    Segmentation) checkpoint; ``model.``/``module.``/``backbone.`` prefixes are stripped and head
    parameters dropped.

    Returns:
        dict: ``loaded`` count and the ``unexpected`` keys that were ignored.

    Raises:
        ValueError: if any backbone parameter is missing from the file.
    """
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    state = ckpt.get('state_dict', ckpt.get('model', ckpt)) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'{path}: expected a state dict (optionally under "state_dict" or "model")')
    clean = {}
    for k, v in state.items():
        for p in _WRAPPER_PREFIXES:
            if k.startswith(p):
                k = k[len(p):]
        if not k.startswith(_HEAD_PREFIXES):
            clean[k] = v
    own = hrnet.state_dict()
    missing = sorted(set(own) - set(clean))
    if missing:
        raise ValueError(f'{path}: {len(missing)} HRNet backbone tensors are missing, e.g. {missing[:3]}; '
                         f'is it a checkpoint of the same HRNet variant?')
    unexpected = sorted(set(clean) - set(own))
    hrnet.load_state_dict({k: v for k, v in clean.items() if k in own}, strict=True)
    return dict(loaded=len(own), unexpected=unexpected)


@MODELS.register_module()
class HRNetSemanticBranch(nn.Module):
    """HRNet features reduced to ``out_channels`` on the input's full-resolution grid.

    Args:
        model_name (str): timm HRNet name (``'hrnet_w48'`` in the paper; ``'hrnet_w18_small'`` for tests).
        checkpoint (str, optional): local weights (see :func:`load_hrnet_weights`); random init
            otherwise. The paper uses Cityscapes weights (not shipped anywhere we can reach).
        out_channels (int): channels after the 1x1 reduction (128, the R2D2 width).
        frozen (bool): freeze HRNet and keep its BN in eval mode (our choice).
        branches (sequence): which stage-4 branches to concatenate (0 = stride 4, ..., 3 = stride 32).

    Shapes: ``(B, 3, H, W)`` normalised RGB -> ``(B, out_channels, H, W)``.
    """

    def __init__(self, model_name: str = 'hrnet_w48', checkpoint: Optional[str] = None, out_channels: int = 128,
                 frozen: bool = True, branches: Sequence[int] = (0, 1, 2, 3)) -> None:
        super().__init__()
        import timm  # heavy; only needed when the branch is built
        self.branches = tuple(branches)
        self.hrnet = timm.create_model(model_name, pretrained=False, features_only=True, feature_location='',
                                       out_indices=tuple(b + 1 for b in self.branches))
        if checkpoint is not None:
            load_hrnet_weights(self.hrnet, checkpoint)
        in_ch = sum(self.hrnet.feature_info.channels())
        self.reduce = nn.Sequential(nn.Conv2d(in_ch, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels),
                                    nn.ReLU(inplace=True))
        self.frozen = frozen
        if frozen:
            self.hrnet.requires_grad_(False)
            self.hrnet.eval()

    def train(self, mode: bool = True) -> 'HRNetSemanticBranch':
        super().train(mode)
        if self.frozen:
            self.hrnet.eval()
        return self

    def forward(self, img: Tensor) -> Tensor:
        H, W = img.shape[-2:]
        ph, pw = -H % 32, -W % 32
        x = F.pad(img, (0, pw, 0, ph)) if ph or pw else img
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
            feats = self.hrnet(x)
        size = feats[0].shape[-2:]
        feats = [feats[0]] + [F.interpolate(f, size=size, mode='bilinear', align_corners=False) for f in feats[1:]]
        y = self.reduce(torch.cat(feats, dim=1))  # at the first branch's stride
        y = F.interpolate(y, size=x.shape[-2:], mode='bilinear', align_corners=False)
        return y[..., :H, :W]
