"""Registered modules of the localization task (MODELS, TASK_UTILS), imported lazily by ``wsl.registry``."""
from wsl.localization.r2d2 import (R2D2, HRNetSemanticBranch, R2D2Context, R2D2CosimLoss, R2D2Head, R2D2Net,
                                   R2D2NghSampler, R2D2PairDataPreprocessor, R2D2PeakyLoss, R2D2ReliabilityLoss,
                                   R2D2Trunk)

__all__ = [
    'R2D2', 'R2D2Context', 'HRNetSemanticBranch', 'R2D2PairDataPreprocessor', 'R2D2Trunk', 'R2D2Head', 'R2D2Net',
    'R2D2CosimLoss', 'R2D2PeakyLoss', 'R2D2ReliabilityLoss', 'R2D2NghSampler'
]
