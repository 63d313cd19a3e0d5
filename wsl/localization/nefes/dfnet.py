"""DFNet (ECCV 2022): VGG-16 hypercolumn feature extractor with a pose-regression head.

NeFeS uses it twice: as the frozen feature extractor whose level-0 features supervise and match the
rendered features, and (a separately trained copy) as the APR being refined.
"""
from typing import Iterable, List, Optional, Sequence

import torch
import torch.nn.functional as F
import torchvision
from torchvision.models.vgg import cfgs, make_layers
from mmengine.model import BaseModule
from torch import Tensor, nn

from wsl.registry import MODELS
from .fusion import IMAGENET_MEAN, IMAGENET_STD


@MODELS.register_module()
class DFNet(BaseModule):
    """VGG-16 ``features`` with taps at conv1_2, conv3_3 and conv5_3 (pre-ReLU; strides 1, 4, 16).

    Each tap goes through an adaptation head: conv1x1 (C_in -> 64), ReLU, conv5x5 (64 -> 128, pad 2),
    BatchNorm(128). The pose head continues VGG through pool5, global-average-pools the 512 channels and
    regresses a flattened 3x4 ``[R | t]`` (12 numbers) in the APR frame. Input is RGB in [0, 1];
    ImageNet normalisation happens inside. No weights are downloaded: load ImageNet VGG-16 or DFNet
    checkpoints through ``init_cfg=dict(type='Pretrained', checkpoint=...)``.

    Args:
        feature_channels (int): adaptation-head output width (128).
        init_cfg (dict | None): MMEngine weight initialisation.
    """
    TAPS = (2, 14, 28)  # conv1_2, conv3_3, conv5_3 inside torchvision's vgg16().features

    def __init__(self, feature_channels: int = 128, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.features = make_layers(cfgs['D'], batch_norm=False)  # = vgg16().features, without its 120M-param head
        for m in self.features.modules():
            if isinstance(m, nn.ReLU):
                m.inplace = False  # the taps are pre-ReLU outputs; an in-place ReLU would overwrite them
        self.adaptation = nn.ModuleList([
            nn.Sequential(nn.Conv2d(c, 64, 1), nn.ReLU(inplace=True), nn.Conv2d(64, feature_channels, 5, padding=2),
                          nn.BatchNorm2d(feature_channels)) for c in (64, 256, 512)
        ])
        self.pose_fc = nn.Linear(512, 12)
        self.register_buffer('mean', torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def _run(self, img: Tensor, upto: int) -> List[Tensor]:
        """Run VGG layers 0..upto, returning the tapped activations and the last output."""
        x, taps = (img - self.mean) / self.std, []
        for i, layer in enumerate(self.features[:upto + 1]):
            x = layer(x)
            if i in self.TAPS:
                taps.append(x)
        return taps + [x]

    def extract_features(self, img: Tensor, levels: Sequence[int] = (0, ), size: Optional[Sequence[int]] = None
                         ) -> List[Tensor]:
        """Hypercolumn features.

        Args:
            img (Tensor): (B, 3, H, W) RGB in [0, 1].
            levels (Sequence[int]): which of the three levels to return (NeFeS uses level 0 only).
            size (Sequence[int] | None): (h, w) to bilinearly resize every level to (align_corners=True);
                None uses the input size.

        Returns:
            list[Tensor]: one (B, C, h, w) map per requested level.
        """
        if any(lv not in (0, 1, 2) for lv in levels):
            raise ValueError(f'DFNet levels must be among 0, 1, 2, got {list(levels)}')
        taps = self._run(img, self.TAPS[max(levels)])
        size = tuple(size) if size is not None else tuple(img.shape[-2:])
        return [F.interpolate(self.adaptation[lv](taps[lv]), size=size, mode='bilinear', align_corners=True)
                for lv in levels]

    @torch.no_grad()
    def calibrate_feature_norm(self, batches: Iterable[Tensor], levels: Sequence[int] = (0, )) -> int:
        """Set the adaptation heads' BatchNorm running statistics to those of the given images.

        A trained DFNet's last BatchNorm holds its training set's statistics, so its features come out
        roughly zero-mean and unit-variance per channel. A DFNet without trained weights (the synthetic
        benchmark's fixed random extractor) has the default statistics (mean 0, variance 1) instead, so
        its features are tiny and dominated by a per-channel offset: the per-channel cosine loss then
        barely changes with the pose, and an L1-trained fusion CNN collapses to a constant. This
        recomputes the statistics as the exact average over ``batches`` (``momentum=None``); nothing
        else changes and the extractor stays frozen.

        Args:
            batches (Iterable[Tensor]): (B, 3, H, W) RGB batches in [0, 1].
            levels (Sequence[int]): adaptation heads to calibrate (NeFeS uses level 0).

        Returns:
            int: number of images seen.
        """
        if any(lv not in (0, 1, 2) for lv in levels):
            raise ValueError(f'DFNet levels must be among 0, 1, 2, got {list(levels)}')
        norms = [self.adaptation[lv][-1] for lv in levels]
        saved = [(bn.momentum, bn.training) for bn in norms]
        for bn in norms:
            bn.reset_running_stats()
            bn.momentum = None
            bn.train()
        count = 0
        try:
            for img in batches:
                taps = self._run(img, self.TAPS[max(levels)])
                for lv in levels:
                    self.adaptation[lv](taps[lv])
                count += img.shape[0]
        finally:
            for bn, (momentum, training) in zip(norms, saved):
                bn.momentum = momentum
                bn.train(training)
        if count == 0:
            raise ValueError('DFNet.calibrate_feature_norm: got no images')
        return count

    def forward(self, img: Tensor) -> Tensor:
        """Regress poses: (B, 3, H, W) RGB in [0, 1] -> (B, 12) flattened 3x4 ``[R | t]``."""
        x = self._run(img, len(self.features) - 1)[-1]
        return self.pose_fc(x.mean(dim=(2, 3)))


@MODELS.register_module()
class PoseNetResNetAPR(BaseModule):
    """PoseNet-style APR as NeFeS trains it: ResNet-34 trunk, fc 512 -> 2048, ReLU, dropout, fc -> 12.

    Outputs a flattened 3x4 ``[R | t]`` in the APR frame. The original applies functional dropout
    without a training flag (always on when its rate is > 0; trap T8; rate 0 in the reported results);
    this one uses ``nn.Dropout`` (off in eval mode).

    Args:
        depth (int): ResNet depth (18, 34 or 50).
        hidden (int): width of the hidden fc layer (2048).
        dropout (float): dropout rate before the last layer (0).
        init_cfg (dict | None): MMEngine weight initialisation.
    """

    def __init__(self, depth: int = 34, hidden: int = 2048, dropout: float = 0.0, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        builders = {18: torchvision.models.resnet18, 34: torchvision.models.resnet34, 50: torchvision.models.resnet50}
        if depth not in builders:
            raise ValueError(f'PoseNetResNetAPR: depth must be one of {sorted(builders)}, got {depth}')
        trunk = builders[depth](weights=None)
        width = trunk.fc.in_features
        trunk.fc = nn.Identity()
        self.trunk = trunk
        self.head = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
                                  nn.Linear(hidden, 12))
        self.register_buffer('mean', torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, img: Tensor) -> Tensor:
        """(B, 3, H, W) RGB in [0, 1] -> (B, 12) flattened 3x4 ``[R | t]``."""
        return self.head(self.trunk((img - self.mean) / self.std))
