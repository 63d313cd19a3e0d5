"""NeFeS feature-fusion CNN (L_fusion, Eq. 7): rendered RGB + rendered features -> matching features."""
import torch
from torch import Tensor, nn

from wsl.registry import MODELS

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@MODELS.register_module()
class NeFeSFusionCNN(nn.Module):
    """conv3x3 (3+C -> 64) ReLU, conv3x3 64->64 ReLU, conv3x3 64->64 ReLU, conv5x5 64->C, BatchNorm(C).

    Stride 1 and "same" padding keep the render resolution. RGB is ImageNet-normalised inside.

    NeFeS never calls ``eval()``, so its BatchNorm always normalises with the statistics of the current
    batch, also at test time (trap T19). ``bn_batch_stats=True`` reproduces that in every mode
    (no running statistics are kept); False gives an ordinary BatchNorm.

    Args:
        feature_channels (int): C, rendered and output feature width (128).
        mid_channels (int): hidden width (64).
        norm (bool): end with BatchNorm (the released configs do).
        residual (bool): add the input features to the output.
        bn_batch_stats (bool): BatchNorm uses batch statistics in train and eval mode.
    """

    def __init__(self, feature_channels: int = 128, mid_channels: int = 64, norm: bool = True,
                 residual: bool = False, bn_batch_stats: bool = True):
        super().__init__()
        c, m = feature_channels, mid_channels
        self.body = nn.Sequential(
            nn.Conv2d(3 + c, m, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(m, m, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(m, m, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(m, c, 5, padding=2))
        self.norm = nn.BatchNorm2d(c, track_running_stats=not bn_batch_stats) if norm else nn.Identity()
        self.residual = residual
        # He-normal weights and zero biases keep activations alive through the three ReLUs. With PyTorch's default
        # init the biases dominate small inputs (e.g. rendered features ~0.03), the third ReLU can be dead for a
        # whole image, the output map is constant, its batch-statistics BN returns zeros and no gradient reaches
        # the pose.
        for layer in self.body:
            if isinstance(layer, nn.Conv2d):
                nn.init.kaiming_normal_(layer.weight, nonlinearity='relu')
                nn.init.zeros_(layer.bias)
        self.register_buffer('mean', torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, rgb: Tensor, feat: Tensor) -> Tensor:
        """Fuse a rendered image with its rendered features.

        Args:
            rgb (Tensor): (B, 3, H, W) ACT-corrected rendered colour in [0, 1].
            feat (Tensor): (B, C, H, W) rendered features.

        Returns:
            Tensor: (B, C, H, W) fused features.
        """
        x = torch.cat([(rgb - self.mean) / self.std, feat], dim=1)
        out = self.norm(self.body(x))
        return out + feat if self.residual else out
