"""DeepLab-v2's ASPP classifier head (Chen et al., TPAMI 2017), the semantic network BBAM trains (paper §4.1).

MMSegmentation ships DeepLab-v3's ``ASPPHead`` (1×1 + three atrous 3×3 branches with BN, image pooling, concat,
3×3 bottleneck, then a 1×1 classifier) but not v2. DeepLab-v2-ResNet-101 (kazuto1011/deeplab-pytorch, the
implementation BBAM used) ends in four parallel 3×3 atrous convolutions with rates (6, 12, 18, 24), each mapping
the 2048-channel ``layer4`` features straight to class scores (with bias, no BN, no dropout), summed; weights
initialised N(0, 0.01), biases 0. This head is exactly that.
"""
from typing import Sequence

import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import Tensor

from wsl.registry import MODELS


@MODELS.register_module()
class DeepLabV2Head(BaseDecodeHead):
    """Sum of parallel atrous 3×3 convolutions to class scores (DeepLab-v2 ASPP-L).

    Args:
        in_channels (int): channels of the input feature map (2048 for ResNet-101 ``layer4``).
        num_classes (int): classes including background.
        dilations (Sequence[int]): atrous rates of the branches (DeepLab-v2: 6, 12, 18, 24 at output stride 8).
        **kwargs: as ``mmseg.models.decode_heads.BaseDecodeHead`` (``in_index``, ``loss_decode``,
            ``ignore_index``, ``align_corners`` ...). ``channels`` is not used (the branches output class scores)
            and defaults to ``in_channels``; ``dropout_ratio`` defaults to 0.
    """

    def __init__(self, in_channels: int, num_classes: int, dilations: Sequence[int] = (6, 12, 18, 24),
                 channels: int = None, dropout_ratio: float = 0.0,
                 init_cfg: dict = dict(type='Normal', std=0.01, bias=0.0, override=dict(name='aspp')),
                 **kwargs) -> None:
        if not dilations or any(int(d) < 1 for d in dilations):
            raise ValueError(f'DeepLabV2Head: dilations must be positive integers, got {dilations}')
        super().__init__(in_channels, channels or in_channels, num_classes=num_classes, dropout_ratio=dropout_ratio,
                         init_cfg=init_cfg, **kwargs)
        del self.conv_seg  # the branches are the classifier
        self.dilations = tuple(int(d) for d in dilations)
        self.aspp = nn.ModuleList(
            nn.Conv2d(self.in_channels, self.out_channels, 3, padding=d, dilation=d, bias=True)
            for d in self.dilations)

    def forward(self, inputs) -> Tensor:
        """Args: inputs (list[Tensor]): backbone outputs. Returns: (B, num_classes, h, w) class scores."""
        x = self._transform_inputs(inputs)
        if self.dropout is not None:
            x = self.dropout(x)
        out = self.aspp[0](x)
        for branch in self.aspp[1:]:
            out = out + branch(x)
        return out
