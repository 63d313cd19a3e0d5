"""The context-aggregation modules of Hong et al. 2020: local-guided gating (§3.3), multi-scale
aggregation (§3.4) and feature fusion/refinement (§3.5). Choices the paper leaves open follow
the spec (§6.2) and are marked "our choice"."""
import torch
from torch import Tensor, nn


class LocalGuidedModule(nn.Module):
    """Gate semantic features with the initial score map: ``G = F ⊙ P``, ``P = norm(rel ⊙ rep)`` (Eq. 1).

    Args:
        score_norm (str): ``'sigmoid'`` (the paper; with rel·rep in [0, 1], P lies in [0.5, 0.731]),
            ``'identity'`` (P = rel·rep) or ``'learned'`` (P = sigmoid((S - mean(S)) / τ) with a
            learnable temperature τ, initial ``tau``); the last two are our ablations.
        detach_score (bool): stop gradients from the gate into the initial heads (our option; off).
    """

    def __init__(self, score_norm: str = 'sigmoid', detach_score: bool = False, tau: float = 0.1) -> None:
        super().__init__()
        if score_norm not in ('sigmoid', 'identity', 'learned'):
            raise ValueError(f"LocalGuidedModule: score_norm must be 'sigmoid', 'identity' or 'learned', "
                             f'got {score_norm!r}')
        self.score_norm, self.detach_score = score_norm, detach_score
        self.log_tau = nn.Parameter(torch.tensor(float(tau)).log()) if score_norm == 'learned' else None

    def score(self, reliability: Tensor, repeatability: Tensor) -> Tensor:
        """(B, 1, H, W) maps -> the gate P (B, 1, H, W)."""
        s = reliability * repeatability
        if self.detach_score:
            s = s.detach()
        if self.score_norm == 'sigmoid':
            return torch.sigmoid(s)
        if self.score_norm == 'identity':
            return s
        return torch.sigmoid((s - s.mean(dim=(2, 3), keepdim=True)) / self.log_tau.exp())

    def forward(self, feats: Tensor, reliability: Tensor, repeatability: Tensor) -> Tensor:
        return feats * self.score(reliability, repeatability)


def _conv_bn_relu(ch: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch), nn.ReLU(inplace=True))


class MultiScaleAggregation(nn.Module):
    """Three successive 3x3 conv+BN+ReLU blocks (receptive fields 3, 5, 7) with short connections.

    ``mode='residual'`` (our reading of "short connections between every two consecutive layers"):
    ``y1 = f1(z)``, ``y2 = f2(y1) + y1``, ``y3 = f3(y2) + y2``, output ``y3``.
    ``mode='dense'`` (ablation): sequential ``y1, y2, y3`` and output ``conv1x1(concat(y1, y2, y3))``.
    """

    def __init__(self, channels: int = 128, mode: str = 'residual') -> None:
        super().__init__()
        if mode not in ('residual', 'dense'):
            raise ValueError(f"MultiScaleAggregation: mode must be 'residual' or 'dense', got {mode!r}")
        self.mode = mode
        self.blocks = nn.ModuleList(_conv_bn_relu(channels) for _ in range(3))
        self.merge = nn.Conv2d(3 * channels, channels, 1) if mode == 'dense' else None

    def forward(self, z: Tensor) -> Tensor:
        """(B, C, H, W) -> (B, C, H, W)."""
        ys, y = [], z
        for i, block in enumerate(self.blocks):
            out = block(y)
            y = out + y if (self.mode == 'residual' and i > 0) else out
            ys.append(y)
        return self.merge(torch.cat(ys, dim=1)) if self.mode == 'dense' else y


class ContextFusion(nn.Module):
    """Refine the low-level features: ``x' = x + conv1x1(concat(x, a))`` (§3.5; 1x1 conv with bias, no
    norm/activation after the add, our choice mirroring R2D2's last layer)."""

    def __init__(self, channels: int = 128, context_channels: int = 128) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels + context_channels, channels, 1)

    def forward(self, x: Tensor, context: Tensor) -> Tensor:
        return x + self.conv(torch.cat([x, context], dim=1))
