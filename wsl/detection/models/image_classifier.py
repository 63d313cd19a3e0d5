"""A2 of H²FA: image-level class-wise alignment by one multi-label classifier shared by both domains (no GRL)."""
import torch.nn.functional as F
from torch import Tensor, nn

from wsl.registry import MODELS


@MODELS.register_module()
class H2FAImageClassifier(nn.Module):
    """1×1 conv (no bias) to C class maps, global average pool → C logits per image; multi-label BCE.

    Args:
        in_channels (int): channels of res5 (2048 for R-50/101).
        num_classes (int): C, the number of foreground classes.
        loss_weight (float): weight of ``loss_cam`` (L_ic); 0.1 in the paper (hard-coded in the official head).
    """

    def __init__(self, in_channels: int, num_classes: int, loss_weight: float = 0.1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, num_classes, 1, bias=False)
        nn.init.kaiming_normal_(self.conv.weight, mode='fan_out', nonlinearity='relu')  # c2_msra_fill
        self.num_classes, self.loss_weight = num_classes, loss_weight

    def forward(self, x: Tensor) -> Tensor:
        """(N, C_in, H, W) feature → (N, C) image-level class logits."""
        return self.conv(x).mean(dim=(2, 3))

    def loss(self, x: Tensor, labels: Tensor) -> Tensor:
        """Weighted BCE-with-logits against multi-hot ``labels`` (N, C), mean over N×C."""
        return self.loss_weight * F.binary_cross_entropy_with_logits(self(x), labels.to(x.dtype))
