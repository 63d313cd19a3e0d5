"""A1 of H²FA: image-level class-agnostic alignment by two adversarial domain classifiers behind GRLs.

* :class:`H2FAGlobalDomainClassifier` on res5: 3 × [3×3 conv stride 2 (no bias), BN, ReLU, dropout 0.5], global
  average pool, Linear → one logit per image; sigmoid focal loss with γ = 5 and no α.
* :class:`H2FALocalDomainClassifier` on res2: 1×1 convs 256-128-1 (no bias) with ReLU, sigmoid → a per-pixel
  domain probability; least-squares loss.

Domain labels: source 0, target 1. Each head owns its GRL (λ constant).
"""
from typing import Sequence

import torch
from torch import Tensor, nn

from wsl.registry import MODELS
from .domain_losses import least_squares_domain_loss, sigmoid_focal_loss_no_alpha
from .grl import grad_reverse


@MODELS.register_module()
class H2FAGlobalDomainClassifier(nn.Module):
    """Global (image-level) domain classifier on the high-level feature (res5).

    Args:
        in_channels (int): channels of the input feature (2048 for R-50/101 res5, 1024 for C4's res4).
        channels (Sequence[int]): output channels of the three conv blocks. Defaults to (512, 128, 128).
        dropout (float): dropout probability after each block (training only). Defaults to 0.5.
        gamma (float): γ of the focal loss. Defaults to 5.0.
        grl_lambda (float): λ of the gradient reversal layer. Defaults to 1.0.
        loss_weight (float): weight of ``loss_global_da`` (half of L_dc). Defaults to 1.0.
    """

    def __init__(self, in_channels: int, channels: Sequence[int] = (512, 128, 128), dropout: float = 0.5,
                 gamma: float = 5.0, grl_lambda: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        layers, c_in = [], in_channels
        for c in channels:
            layers += [nn.Conv2d(c_in, c, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c),
                       nn.ReLU(inplace=True), nn.Dropout(dropout)]
            c_in = c
        self.convs = nn.Sequential(*layers)
        self.fc = nn.Linear(c_in, 1)
        self.gamma, self.grl_lambda, self.loss_weight = gamma, grl_lambda, loss_weight

    def forward(self, x: Tensor) -> Tensor:
        """(N, C, H, W) feature → (N,) domain logits (the GRL is applied first)."""
        x = self.convs(grad_reverse(x, self.grl_lambda))
        return self.fc(x.mean(dim=(2, 3))).squeeze(1)

    def loss(self, x: Tensor, domain_labels: Tensor) -> Tensor:
        """Weighted focal loss of the domain logits against ``domain_labels`` (N,) in {0, 1}."""
        return self.loss_weight * sigmoid_focal_loss_no_alpha(self(x), domain_labels.float(), self.gamma)


@MODELS.register_module()
class H2FALocalDomainClassifier(nn.Module):
    """Local (per-pixel) domain classifier on the low-level feature (res2).

    Args:
        in_channels (int): channels of the input feature (256 for R-50/101 res2, 64 for R-18).
        channels (Sequence[int]): hidden 1×1 conv channels. Defaults to (256, 128).
        grl_lambda (float): λ of the gradient reversal layer. Defaults to 1.0.
        loss_weight (float): weight of ``loss_local_da`` (half of L_dc). Defaults to 1.0.
        init_std (float): std of the Normal(0, std) weight init. Defaults to 0.01.
    """

    def __init__(self, in_channels: int, channels: Sequence[int] = (256, 128), grl_lambda: float = 1.0,
                 loss_weight: float = 1.0, init_std: float = 0.01) -> None:
        super().__init__()
        layers, c_in = [], in_channels
        for c in channels:
            layers += [nn.Conv2d(c_in, c, 1, bias=False), nn.ReLU(inplace=True)]
            c_in = c
        layers.append(nn.Conv2d(c_in, 1, 1, bias=False))
        self.convs = nn.Sequential(*layers)
        for m in self.convs:
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0.0, init_std)
        self.grl_lambda, self.loss_weight = grl_lambda, loss_weight

    def forward(self, x: Tensor) -> Tensor:
        """(N, C, H, W) feature → (N, 1, H, W) per-pixel domain probabilities (the GRL is applied first)."""
        return torch.sigmoid(self.convs(grad_reverse(x, self.grl_lambda)))

    def loss(self, x: Tensor, domain_labels: Tensor) -> Tensor:
        """Weighted least-squares loss of the probability map against ``domain_labels`` (N,) in {0, 1}."""
        return self.loss_weight * least_squares_domain_loss(self(x), domain_labels)
