"""The Instance- and Image-level Recognition (IIR) unit of H²FA R-CNN (supplement Algorithm 1, Eqn 2).

For one target image with N sampled proposals and C foreground classes:

1. ``P = softmax_row(s)``: class probabilities of each proposal, background logit dropped BEFORE the softmax;
2. ``c_i = argmax_j s_ij`` (not differentiable);
3. class-wise objectness ``Ō``: all zeros except ``Ō[i, c_i] = o_i``, the proposal's raw RPN objectness logit
   (0, not -inf, off the argmax);
4. ``W = softmax_column(Ō)``: a softmax over the N proposals, separately per class;
5. image score ``p_j = Σ_i P_ij · W_ij`` ∈ (0, 1);
6. ``L_cls = BCE(clamp(p, eps, 1 - eps), y)``, mean over images × classes (the clamp zeroes the gradient outside).

Gradients reach the detection head through P (alignment A4) and the RPN objectness through Ō (A3).
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def iir_proposal_weights(cls_logits: Tensor, obj_logits: Tensor) -> Tuple[Tensor, Tensor]:
    """The two factors of Eqn 2 per proposal: class probabilities P and proposal weights W.

    Args:
        cls_logits (Tensor): (N, C) foreground class logits of N proposals (background column already removed).
        obj_logits (Tensor): (N,) raw RPN objectness logits of the same proposals.

    Returns:
        tuple[Tensor, Tensor]: ``P`` (N, C), rows sum to 1; ``W`` (N, C), columns sum to 1.
    """
    if cls_logits.dim() != 2 or obj_logits.shape != cls_logits.shape[:1]:
        raise ValueError(f'iir_image_scores: expected cls_logits (N, C) and obj_logits (N,), got '
                         f'{tuple(cls_logits.shape)} and {tuple(obj_logits.shape)}')
    if cls_logits.shape[0] == 0:
        raise ValueError('iir_image_scores: no proposals (N = 0); the caller handles empty images')
    probs = cls_logits.softmax(dim=1)
    assigned = cls_logits.argmax(dim=1, keepdim=True)
    class_obj = torch.zeros_like(probs).scatter(1, assigned, obj_logits.to(probs.dtype).unsqueeze(1))
    return probs, class_obj.softmax(dim=0)


def iir_image_scores(cls_logits: Tensor, obj_logits: Tensor) -> Tensor:
    """Aggregate proposal scores to image-level class scores (Eqn 2): ``p_j = Σ_i P_ij · W_ij``.

    Args:
        cls_logits (Tensor): (N, C) foreground class logits of N proposals (background column already removed).
        obj_logits (Tensor): (N,) raw RPN objectness logits of the same proposals.

    Returns:
        Tensor: (C,) image-level scores p, each in (0, 1).
    """
    probs, weights = iir_proposal_weights(cls_logits, obj_logits)
    return (probs * weights).sum(dim=0)


def iir_bce_loss(image_scores: Tensor, labels: Tensor, eps: float = 1e-6) -> Tensor:
    """Image-level BCE of IIR: ``BCE(clamp(p, eps, 1 - eps), y)``, mean over images × classes.

    Args:
        image_scores (Tensor): (B, C) scores from :func:`iir_image_scores`.
        labels (Tensor): (B, C) multi-hot image labels.
        eps (float): clamp bound.

    Returns:
        Tensor: scalar.
    """
    return F.binary_cross_entropy(image_scores.clamp(eps, 1 - eps), labels.to(image_scores.dtype))


def sample_proposal_indices(num_proposals: int, num: int, device=None) -> Tensor:
    """A uniformly random subset of ``min(num, num_proposals)`` proposal indices (not top-k; ``num < 0``: all).

    Returns:
        Tensor: (K,) int64 indices in random order.
    """
    perm = torch.randperm(num_proposals, device=device)
    return perm if num < 0 else perm[:num]
