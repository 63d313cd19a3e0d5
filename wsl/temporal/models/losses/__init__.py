"""D2-Net losses: L_Dis, pDMI (snippet and video level) and the baselines of Tables 3-4."""
from .denoise_baselines import SnippetDenoiseLoss, VideoDenoiseLoss, snippet_denoise_loss
from .dis_loss import DisLoss, dis_loss, embedding_weights
from .mil_losses import TopKBCELoss, TopKFocalLoss, mil_focal_loss
from .pdmi import SnippetPDMILoss, VideoPDMILoss, pdmi, snippet_joint, video_joint

__all__ = [
    'DisLoss', 'dis_loss', 'embedding_weights', 'SnippetPDMILoss', 'VideoPDMILoss', 'pdmi', 'snippet_joint',
    'video_joint', 'TopKBCELoss', 'TopKFocalLoss', 'mil_focal_loss', 'SnippetDenoiseLoss', 'VideoDenoiseLoss',
    'snippet_denoise_loss'
]
