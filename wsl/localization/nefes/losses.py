"""NeFeS training losses (Eq. 4): NeRF-W photometric loss + lambda_1 L_f + lambda_2 L_fusion.

The photometric terms follow the NeRF-W form of the released configs (``color_feat_fusion_nerfw_loss``);
means run over every element (rays x channels), as in the NeRF-W code NeFeS builds on [inf].
Feature and fusion losses are L1 (the test-time loss is a different one: per-channel cosine).
"""
from typing import Dict, Optional

import torch
from torch import Tensor


def nerfw_photometric_loss(rgb_coarse: Tensor, rgb_fine: Tensor, beta: Tensor, sigma_t: Tensor, target: Tensor,
                           coarse_weight: float = 0.5, transient_weight: float = 0.01) -> Dict[str, Tensor]:
    """Photometric terms of NeFeS training.

    Args:
        rgb_coarse (Tensor): (R, 3) coarse colour (un-squashed, no ACT; trap T5).
        rgb_fine (Tensor): (R, 3) fine colour after ACT.
        beta (Tensor): (R,) composited uncertainty (beta_min already added).
        sigma_t (Tensor): (R, S) transient densities at all fine samples.
        target (Tensor): (R, 3) ground-truth colour.
        coarse_weight (float): weight of the coarse MSE (0.5).
        transient_weight (float): lambda_u on the mean transient density (0.01).

    Returns:
        dict: ``loss_coarse``, ``loss_fine`` (MSE / (2 beta^2)), ``loss_beta`` (3 + mean log beta) and
        ``loss_transient``; their sum is L_rgb.
    """
    return dict(loss_coarse=coarse_weight * (rgb_coarse - target).square().mean(),
                loss_fine=((rgb_fine - target).square() / (2 * beta.square()[:, None])).mean(),
                loss_beta=3 + torch.log(beta).mean(),
                loss_transient=transient_weight * sigma_t.mean())


def masked_l1_loss(pred: Tensor, target: Tensor, mask: Optional[Tensor] = None) -> Tensor:
    """Mean absolute error, optionally over valid elements only (L_f, Eq. 6, and L_fusion, Eq. 7).

    Args:
        pred (Tensor): (..., C) or (B, C, H, W) predictions.
        target (Tensor): same shape.
        mask (Tensor | None): broadcastable boolean/0-1 mask of valid entries (e.g. Cambridge's
            transient-object masks); None uses everything.

    Returns:
        Tensor: scalar.
    """
    err = (pred - target).abs()
    if mask is None:
        return err.mean()
    mask = mask.to(err.dtype).expand_as(err)
    return (err * mask).sum() / mask.sum().clamp_min(1)
