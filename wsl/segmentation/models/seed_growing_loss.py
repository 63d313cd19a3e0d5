"""The mask loss BBAM's Mask R-CNN is trained with: class-balanced BCE with "seed growing" (specs/bbam.md §4.1).

The official ``maskrcnn_benchmark/modeling/roi_heads/mask_head/loss.py`` works on the 28×28 targets of the positive
RoIs of the whole batch (all images together):

1. seeds: FG seed = strict target (T_fg) = 1; BG seed = loose target (T_loose) = 0;
2. growing (every iteration, from iteration 0): FG ∪= {σ(logit) > τ}, BG ∪= {σ(logit) < 1 − τ}, τ = 0.9; then
   FG −= BG seeds and BG −= FG seeds, so a seed never switches sides (a pixel that is both a FG and a BG seed,
   possible where strict ⊄ loose, is used by neither);
3. 8-neighbour support: a selected pixel is *used* only if at least one of its 8 neighbours (3×3 all-ones kernel
   with a 0 centre, zero padding) is selected for the same label; isolated pixels, seeds included, are dropped;
4. loss = (mean BCE over used FG pixels + mean BCE over used BG pixels) / 2, pooled over all RoIs; 0 (with a
   gradient graph) when either set is empty (the official code prints "nan" and returns 0 in that case).

Fallback (no loose target, or strict/loose mismatch in the batch; official ``target_ignore is None or
is_mismatch``): the balanced BCE on the strict target alone — FG = strict, BG = the rest, no growing and no
neighbour filter. The official code would give NaN when one of those two sets is empty; here it is 0 as well.

The selection is a non-differentiable function of the detached logits: gradients reach the logits only at used
pixels, through the BCE.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wsl.registry import MODELS


def neighbor_support(selected: Tensor) -> Tensor:
    """Whether each pixel has at least one selected 8-neighbour.

    Args:
        selected (Tensor): (N, H, W) bool.

    Returns:
        Tensor: (N, H, W) bool; pixels outside the map count as unselected.
    """
    kernel = torch.ones(1, 1, 3, 3, dtype=torch.float32, device=selected.device)
    kernel[0, 0, 1, 1] = 0
    count = F.conv2d(selected[:, None].float(), kernel, padding=1)[:, 0]
    return count > 0


def seed_growing_selection(logits: Tensor, strict: Tensor, loose: Optional[Tensor] = None,
                           grow_threshold: Optional[float] = 0.9,
                           neighbor_filter: bool = True) -> Tuple[Tensor, Tensor]:
    """The pixels the seed-growing loss uses as foreground and as background.

    Args:
        logits (Tensor): (N, H, W) mask logits of the positive RoIs (their target class).
        strict (Tensor): (N, H, W) strict targets (T_fg) in {0, 1} (any dtype; > 0.5 is foreground).
        loose (Tensor, optional): (N, H, W) loose targets (T_loose); pixels outside it are background seeds.
            None selects the fallback: FG = strict, BG = not strict, no growing, no neighbour filter.
        grow_threshold (float, optional): τ; pixels with σ(logit) > τ join FG, < 1 − τ join BG. None: no growing.
        neighbor_filter (bool): keep only pixels with a selected 8-neighbour of the same label.

    Returns:
        tuple[Tensor, Tensor]: ``fg_used``, ``bg_used``, each (N, H, W) bool, disjoint.
    """
    if logits.shape != strict.shape or (loose is not None and loose.shape != strict.shape):
        raise ValueError(f'seed_growing_selection: logits {tuple(logits.shape)}, strict {tuple(strict.shape)} and '
                         f'loose {None if loose is None else tuple(loose.shape)} must have the same (N, H, W) shape')
    if grow_threshold is not None and not 0.5 <= float(grow_threshold) < 1.0:
        raise ValueError(f'seed_growing_selection: grow_threshold must lie in [0.5, 1), got {grow_threshold}')
    with torch.no_grad():
        fg_seed = strict > 0.5
        if loose is None:
            return fg_seed, ~fg_seed
        bg_seed = loose <= 0.5
        fg, bg = fg_seed.clone(), bg_seed.clone()
        if grow_threshold is not None:
            prob = logits.detach().sigmoid()
            fg |= prob > grow_threshold
            bg |= prob < 1.0 - grow_threshold
        fg &= ~bg_seed  # seeds never switch
        bg &= ~fg_seed
        if neighbor_filter:
            fg &= neighbor_support(fg)
            bg &= neighbor_support(bg)
    return fg, bg


def seed_growing_mask_loss(logits: Tensor, strict: Tensor, loose: Optional[Tensor] = None,
                           grow_threshold: Optional[float] = 0.9, neighbor_filter: bool = True) -> Tensor:
    """Class-balanced BCE over the seed-grown pixels: (mean over used FG + mean over used BG) / 2.

    Args:
        logits (Tensor): (N, H, W) mask logits.
        strict (Tensor): (N, H, W) strict targets in {0, 1}.
        loose (Tensor, optional): (N, H, W) loose targets; None: fallback (see :func:`seed_growing_selection`).
        grow_threshold (float, optional): τ (0.9 in the official code); None disables growing.
        neighbor_filter (bool): the 8-neighbour support rule.

    Returns:
        Tensor: scalar loss; 0 (still attached to ``logits``) when N = 0 or either pixel set is empty.
    """
    if logits.numel() == 0:
        return logits.sum() * 0
    fg, bg = seed_growing_selection(logits, strict, loose, grow_threshold, neighbor_filter)
    if not fg.any() or not bg.any():
        return logits.sum() * 0
    bce = F.binary_cross_entropy_with_logits(logits, fg.to(logits.dtype), reduction='none')
    return (bce[fg].mean() + bce[bg].mean()) / 2


@MODELS.register_module()
class SeedGrowingMaskLoss(nn.Module):
    """Registered wrapper of :func:`seed_growing_mask_loss` for :class:`SeedGrowingMaskHead`.

    Args:
        grow_threshold (float, optional): τ, confidence for growing (official 0.9); None disables growing
            (the paper's Table 5 ablation without the growing technique 𝒢).
        neighbor_filter (bool): the 8-neighbour support rule (official: on).
        loss_weight (float): multiplier of the loss.
    """

    def __init__(self, grow_threshold: Optional[float] = 0.9, neighbor_filter: bool = True,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if grow_threshold is not None and not 0.5 <= float(grow_threshold) < 1.0:
            raise ValueError(f'SeedGrowingMaskLoss: grow_threshold must lie in [0.5, 1) or be None, got '
                             f'{grow_threshold}')
        self.grow_threshold = None if grow_threshold is None else float(grow_threshold)
        self.neighbor_filter = bool(neighbor_filter)
        self.loss_weight = float(loss_weight)

    def forward(self, logits: Tensor, strict: Tensor, loose: Optional[Tensor] = None) -> Tensor:
        """Args: logits, strict, loose as :func:`seed_growing_mask_loss` ((N, H, W) each). Returns: scalar."""
        return self.loss_weight * seed_growing_mask_loss(logits, strict, loose, self.grow_threshold,
                                                         self.neighbor_filter)
