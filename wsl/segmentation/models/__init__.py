"""Models for BBAM's downstream training (registered in ``wsl.registry.MODELS``): the seed-growing mask loss and
Mask R-CNN mask head (instance segmentation on strict + loose pseudo masks), DeepLab-v2's ASPP head, the
DSRG-style balanced cross-entropy and deeplab-pytorch's multi-scale + test-time CRF segmentor (semantic
segmentation on the pseudo-label PNGs)."""
from .balanced_ce_loss import BalancedCrossEntropyLoss, balanced_cross_entropy
from .deeplabv2_head import DeepLabV2Head
from .msc_encoder_decoder import DEEPLAB_TEST_CRF, MSCEncoderDecoder, fuse_scales
from .seed_growing_loss import SeedGrowingMaskLoss, neighbor_support, seed_growing_mask_loss, seed_growing_selection
from .seed_growing_mask_head import SeedGrowingMaskHead

__all__ = [
    'BalancedCrossEntropyLoss', 'DEEPLAB_TEST_CRF', 'DeepLabV2Head', 'MSCEncoderDecoder', 'SeedGrowingMaskHead',
    'SeedGrowingMaskLoss', 'fuse_scales',
    'balanced_cross_entropy', 'neighbor_support', 'seed_growing_mask_loss', 'seed_growing_selection'
]
