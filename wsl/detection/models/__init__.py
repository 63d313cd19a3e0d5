"""H²FA R-CNN modules (registered in ``wsl.registry.MODELS``)."""
from .domain_classifiers import H2FAGlobalDomainClassifier, H2FALocalDomainClassifier
from .domain_losses import least_squares_domain_loss, sigmoid_focal_loss_no_alpha
from .grl import GradientReversalLayer, grad_reverse
from .h2fa_rcnn import H2FARCNN
from .iir import iir_bce_loss, iir_image_scores, sample_proposal_indices
from .iir_rpn_head import H2FARPNHead
from .image_classifier import H2FAImageClassifier

__all__ = [
    'GradientReversalLayer', 'grad_reverse', 'sigmoid_focal_loss_no_alpha', 'least_squares_domain_loss',
    'H2FAGlobalDomainClassifier', 'H2FALocalDomainClassifier', 'H2FAImageClassifier', 'iir_image_scores',
    'iir_bce_loss', 'sample_proposal_indices', 'H2FARPNHead', 'H2FARCNN'
]
