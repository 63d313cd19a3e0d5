"""The two adversarial domain losses of H²FA's A1 (after Strong-Weak DA): focal on res5, least squares on res2."""
import torch
import torch.nn.functional as F
from torch import Tensor


def sigmoid_focal_loss_no_alpha(logits: Tensor, targets: Tensor, gamma: float = 5.0) -> Tensor:
    """Binary focal loss without α-balancing, mean over all elements.

    ``FL = -(1 - p_t)^γ · log(p_t)`` with ``p_t = σ(x)`` for target 1 and ``1 - σ(x)`` for target 0. Unlike
    mmdet's/mmcv's focal losses (α = 0.25 by default) there is no α weight, as in fvcore with α = -1.

    Args:
        logits (Tensor): (N,) or any shape, raw logits.
        targets (Tensor): same shape, values in {0, 1} (float).
        gamma (float): γ, the focusing parameter (5 in H²FA's global domain classifier).

    Returns:
        Tensor: scalar.
    """
    targets = targets.to(logits.dtype)
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction='none')
    p = torch.sigmoid(logits)
    p_t = p * targets + (1 - p) * (1 - targets)
    return (ce * (1 - p_t).pow(gamma)).mean()


def least_squares_domain_loss(prob_map: Tensor, domain_labels: Tensor) -> Tensor:
    """Per-pixel least-squares domain loss: mean over N×H×W of ``(p - d)^2``.

    Args:
        prob_map (Tensor): (N, 1, H, W) domain probabilities (after a sigmoid), padding included.
        domain_labels (Tensor): (N,) domain of each image (0 source, 1 target).

    Returns:
        Tensor: scalar.
    """
    target = domain_labels.to(prob_map.dtype).view(-1, 1, 1, 1).expand_as(prob_map)
    return F.mse_loss(prob_map, target)
