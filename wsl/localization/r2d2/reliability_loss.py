"""R2D2's reliability loss: AP of each sampled pixel, weighted by its predicted reliability (Eq. 5)."""
from typing import Optional

import torch
from torch import Tensor, nn

from wsl.registry import MODELS, TASK_UTILS
from .ap_loss import average_precision


def reliability_ap_loss(ap: Tensor, rel: Tensor, kappa: float = 0.5) -> Tensor:
    """Per-pixel ``1 - AP*R - kappa*(1 - R)`` (R: reliability in [0, 1], kappa: the AP a pixel must beat)."""
    return 1 - ap * rel - kappa * (1 - rel)


@MODELS.register_module()
class R2D2ReliabilityLoss(nn.Module):
    """Reliability-weighted AP loss over the sampler's query pixels (``loss_reliability``).

    Args:
        sampler (dict): config of the pixel sampler (``R2D2NghSampler``).
        nq (int): histogram bins of the differentiable AP (R2D2: 20).
        kappa (float): κ, the AP threshold of Eq. 5 (official ``base``: 0.5). ``None`` gives the
            plain ``1 - AP`` loss (official ``PixelAPLoss``).
        loss_weight (float): multiplier.
    """

    def __init__(self, sampler: Optional[dict] = None, nq: int = 20, kappa: Optional[float] = 0.5,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.sampler = TASK_UTILS.build(sampler or dict(type='R2D2NghSampler'))
        self.nq, self.kappa, self.loss_weight = nq, kappa, loss_weight

    def forward(self, desc1: Tensor, desc2: Tensor, rel1: Tensor, rel2: Tensor, aflow: Tensor,
                generator: Optional[torch.Generator] = None) -> Tensor:
        """Descriptors (B, D, H, W), reliabilities (B, 1, H, W), aflow (B, 2, H, W) -> scalar loss.

        Queries whose match leaves image 2 are excluded; with none left the loss is 0 (the
        official code would return NaN).
        """
        s = self.sampler(desc1, desc2, aflow, rel1, rel2, generator=generator)
        mask = s['mask']
        if not mask.any():
            return desc1.sum() * 0
        ap = average_precision(s['scores'][mask], s['labels'][mask], self.nq)
        loss = 1 - ap if self.kappa is None else reliability_ap_loss(ap, s['qconf'][mask], self.kappa)
        return self.loss_weight * loss.mean()
