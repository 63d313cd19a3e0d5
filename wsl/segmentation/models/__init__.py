"""Models for BBAM's downstream training (registered in ``wsl.registry.MODELS``): the seed-growing mask loss and
Mask R-CNN mask head (instance segmentation on strict + loose pseudo masks), DeepLab-v2's ASPP head and the
DSRG-style balanced cross-entropy (semantic segmentation on the pseudo-label PNGs)."""
from .balanced_ce_loss import BalancedCrossEntropyLoss, balanced_cross_entropy
from .deeplabv2_head import DeepLabV2Head
from .seed_growing_loss import SeedGrowingMaskLoss, neighbor_support, seed_growing_mask_loss, seed_growing_selection
from .seed_growing_mask_head import SeedGrowingMaskHead

__all__ = [
    'BalancedCrossEntropyLoss', 'DeepLabV2Head', 'SeedGrowingMaskHead', 'SeedGrowingMaskLoss',
    'balanced_cross_entropy', 'neighbor_support', 'seed_growing_mask_loss', 'seed_growing_selection'
]
