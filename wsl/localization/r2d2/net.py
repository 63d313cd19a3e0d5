"""The R2D2 network (Revaud et al., NeurIPS 2019), laid out like the official ``Quad_L2Net_ConfCFS``.

The trunk is L2-Net with strides turned into dilations (output stride 1) and its final 8x8 conv
replaced by three dilated 2x2 convs; BatchNorm has no affine parameters. Every official tensor has
exactly one counterpart here (see :mod:`wsl.localization.r2d2.convert` for the key map).
"""
from typing import Dict, List, Tuple

import torch.nn.functional as F
from torch import Tensor, nn

from wsl.registry import MODELS

# ImageNet statistics the released models were trained with (RGB, images in [0, 1]).
R2D2_MEAN = (0.485, 0.456, 0.406)
R2D2_STD = (0.229, 0.224, 0.225)


def r2d2_layer_specs(mchan: int = 4, dim: int = 128) -> List[Tuple[int, int, int, int, bool, bool]]:
    """The nine trunk layers as ``(in_ch, out_ch, kernel, dilation, bn, relu)``.

    The dilation of a layer is the running dilation before it; a layer the original L2-Net runs
    with stride 2 doubles the running dilation for the layers after it (stride is always 1 here).
    """
    widths = [8 * mchan, 8 * mchan, 16 * mchan, 16 * mchan, 32 * mchan, 32 * mchan]
    strided = [False, False, True, False, True, False]  # layers 3 and 5 are L2-Net's stride-2 convs
    specs, in_ch, dil = [], 3, 1
    for out_ch, s2 in zip(widths, strided):
        specs.append((in_ch, out_ch, 3, dil, True, True))
        in_ch, dil = out_ch, dil * (2 if s2 else 1)
    # three 2x2 "stride 2" convs replacing the 8x8 conv: no ReLU, the last has no BN either
    for i, out_ch in enumerate([32 * mchan, 32 * mchan, dim]):
        specs.append((in_ch, out_ch, 2, dil, i < 2, False))
        in_ch, dil = out_ch, dil * 2
    return specs


class R2D2ConvLayer(nn.Module):
    """Dilated conv (stride 1, padding ``((k-1)*d)//2``, bias) + optional affine-free BN + ReLU."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, dilation: int, bn: bool, relu: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel, stride=1, padding=((kernel - 1) * dilation) // 2,
                              dilation=dilation, bias=True)
        self.bn = nn.BatchNorm2d(out_ch, affine=False) if bn else None
        self.relu = relu

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x) if self.relu else x


@MODELS.register_module()
class R2D2Trunk(nn.Module):
    """R2D2's fully convolutional trunk (``Quad_L2Net``, dilated).

    Args:
        mchan (int): width multiplier; 4 for the released N16/N8 models, 6 for ``r2d2_WASF_N8_big``.
        dim (int): descriptor dimension (output channels of the last layer).

    Shapes: ``(B, 3, H, W)`` ImageNet-normalised RGB -> ``(B, dim, H, W)`` raw (un-normalised)
    features at full input resolution.
    """

    def __init__(self, mchan: int = 4, dim: int = 128) -> None:
        super().__init__()
        self.out_channels = dim
        self.layers = nn.ModuleList(R2D2ConvLayer(*spec) for spec in r2d2_layer_specs(mchan, dim))

    def forward(self, img: Tensor) -> Tensor:
        x = img
        for layer in self.layers:
            x = layer(x)
        return x


def softplus_ratio(u: Tensor) -> Tensor:
    """The released models' repeatability activation ``softplus(u) / (1 + softplus(u))``, in (0, 1)."""
    s = F.softplus(u)
    return s / (1 + s)


@MODELS.register_module()
class R2D2Head(nn.Module):
    """Descriptor, reliability and repeatability heads on the trunk's raw features ``x``.

    descriptors = L2-normalised ``x``; reliability = softmax(clf(x²))[:, 1]; repeatability =
    softplus-ratio(sal(x²)) with a 1-channel ``sal`` (``rep_activation='softplus'``, what every
    released model uses) or softmax(sal(x²))[:, 1] with a 2-channel ``sal`` (``'softmax'``, what
    the R2D2 and seed papers describe; not loadable from the released weights).

    Args:
        in_channels (int): channels of ``x`` (128).
        rep_activation (str): ``'softplus'`` or ``'softmax'``.
    """

    def __init__(self, in_channels: int = 128, rep_activation: str = 'softplus') -> None:
        super().__init__()
        if rep_activation not in ('softplus', 'softmax'):
            raise ValueError(f"R2D2Head: rep_activation must be 'softplus' or 'softmax', got {rep_activation!r}")
        self.rep_activation = rep_activation
        self.clf = nn.Conv2d(in_channels, 2, kernel_size=1)
        self.sal = nn.Conv2d(in_channels, 1 if rep_activation == 'softplus' else 2, kernel_size=1)

    def forward(self, x: Tensor) -> Dict[str, Tensor]:
        """``x`` (B, C, H, W) -> dict of descriptors (B, C, H, W), reliability and repeatability (B, 1, H, W)."""
        x2 = x * x
        rel = F.softmax(self.clf(x2), dim=1)[:, 1:2]
        u = self.sal(x2)
        rep = softplus_ratio(u) if self.rep_activation == 'softplus' else F.softmax(u, dim=1)[:, 1:2]
        return dict(descriptors=F.normalize(x, p=2, dim=1, eps=1e-12), reliability=rel, repeatability=rep)


@MODELS.register_module()
class R2D2Net(nn.Module):
    """Trunk + heads: the official ``Quad_L2Net_ConfCFS`` (``mchan=4, dim=128`` by default).

    ``forward(img)`` takes ``(B, 3, H, W)`` ImageNet-normalised RGB and returns
    ``dict(descriptors=(B, dim, H, W), reliability=(B, 1, H, W), repeatability=(B, 1, H, W))``,
    all at the input resolution.
    """

    def __init__(self, mchan: int = 4, dim: int = 128, rep_activation: str = 'softplus') -> None:
        super().__init__()
        self.trunk = R2D2Trunk(mchan=mchan, dim=dim)
        self.head = R2D2Head(in_channels=dim, rep_activation=rep_activation)

    def forward(self, img: Tensor) -> Dict[str, Tensor]:
        if img.dim() != 4 or img.shape[1] != 3:
            raise ValueError(f'R2D2Net expects images of shape (B, 3, H, W), got {tuple(img.shape)}')
        return self.head(self.trunk(img))
