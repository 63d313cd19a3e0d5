"""D2-Net models: the two-stream network, the D2Net model and its losses."""
from .d2net import D2Net
from .losses import *  # noqa: F401,F403
from .losses import __all__ as _loss_names
from .two_stream import TwoStreamTCN

__all__ = ['D2Net', 'TwoStreamTCN'] + list(_loss_names)
