"""NeFeS training losses (Eq. 4): NeRF-W photometric loss + lambda_1 L_f + lambda_2 L_fusion.

The photometric terms follow the NeRF-W form of the released configs (``color_feat_fusion_nerfw_loss``);
means run over every element (rays x channels), as in the NeRF-W code NeFeS builds on [inf].
Feature and fusion losses are L1 (the test-time loss is a different one: per-channel cosine).
"""
from typing import Dict, Optional

import torch
from torch import Tensor


def masked_mean(x: Tensor, mask: Optional[Tensor] = None) -> Tensor:
    """Mean of ``x`` over the entries where the (broadcastable) ``mask`` is true; 0 when none is.

    Entries outside the mask do not reach the value or the gradient (``torch.where``, not a product), so the
    result equals ``x[mask].mean()`` computed on the valid entries alone.

    Args:
        x (Tensor): any shape.
        mask (Tensor | None): boolean or 0/1, broadcastable to ``x``; None averages everything.

    Returns:
        Tensor: scalar.
    """
    if mask is None:
        return x.mean()
    mask = (mask > 0).expand_as(x)
    return torch.where(mask, x, torch.zeros((), dtype=x.dtype, device=x.device)).sum() / mask.sum().clamp_min(1)


def nerfw_photometric_loss(rgb_coarse: Tensor, rgb_fine: Tensor, beta: Tensor, sigma_t: Tensor, target: Tensor,
                           coarse_weight: float = 0.5, transient_weight: float = 0.01,
                           mask: Optional[Tensor] = None) -> Dict[str, Tensor]:
    """Photometric terms of NeFeS training.

    Args:
        rgb_coarse (Tensor): (R, 3) coarse colour (un-squashed, no ACT; trap T5).
        rgb_fine (Tensor): (R, 3) fine colour after ACT.
        beta (Tensor): (R,) composited uncertainty (beta_min already added).
        sigma_t (Tensor): (R, S) transient densities at all fine samples.
        target (Tensor): (R, 3) ground-truth colour.
        coarse_weight (float): weight of the coarse MSE (0.5).
        transient_weight (float): lambda_u on the mean transient density (0.01).
        mask (Tensor | None): (R,) valid rays (Cambridge stage 3: static patch pixels). Every term is then the
            same as computed on the valid rays alone (the official code indexes them out); None uses all rays.

    Returns:
        dict: ``loss_coarse``, ``loss_fine`` (MSE / (2 beta^2)), ``loss_beta`` (3 + mean log beta) and
        ``loss_transient``; their sum is L_rgb.
    """
    ray = None if mask is None else mask.reshape(-1, 1)
    return dict(loss_coarse=coarse_weight * masked_mean((rgb_coarse - target).square(), ray),
                loss_fine=masked_mean((rgb_fine - target).square() / (2 * beta.square()[:, None]), ray),
                loss_beta=3 + masked_mean(torch.log(beta), None if mask is None else mask.reshape(-1)),
                loss_transient=transient_weight * masked_mean(sigma_t, ray))


def masked_l1_loss(pred: Tensor, target: Tensor, mask: Optional[Tensor] = None) -> Tensor:
    """Mean absolute error, optionally over valid elements only (L_f, Eq. 6, and L_fusion, Eq. 7).

    Args:
        pred (Tensor): (..., C) or (B, C, H, W) predictions.
        target (Tensor): same shape.
        mask (Tensor | None): broadcastable boolean/0-1 mask of valid entries (e.g. Cambridge's
            transient-object masks); None uses everything.

    Returns:
        Tensor: scalar, the mean over the valid elements (0 when there is none).
    """
    return masked_mean((pred - target).abs(), mask)
