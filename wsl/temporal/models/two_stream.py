"""D2-Net's two-stream temporal network over joined I3D RGB + flow snippet features.

Both streams are grouped 1-D convolutions (groups = 2) on the 2048-d joined feature, so each stream
sees only its own 1024 channels (RGB = [0:1024], flow = [1024:2048]). Per stream (official code):
TC1 → LeakyReLU(0.2) + input, TC2 → LeakyReLU(0.2) + TC1 output, dropout (training only),
TC3 classifier. TCAM = (sigmoid(logits_rgb) + sigmoid(logits_flow)) / 2; embedding x = the mean
of the two streams' (post-dropout in training) features.
"""
from typing import Dict

import torch.nn as nn
from torch import Tensor

from wsl.registry import MODELS


@MODELS.register_module()
class TwoStreamTCN(nn.Module):
    """Two parallel temporal-convolution streams.

    Args:
        num_classes (int): C.
        in_channels (int): joined feature size d (2048 = 1024 RGB + 1024 flow).
        num_streams (int): number of equal channel groups (2).
        kernel_size, dilation (int): TC1/TC2 (3, 1) THUMOS, (5, 2) ActivityNet; "same" padding.
        cls_kernel_size, cls_dilation (int): TC3 (1, 1) THUMOS in the code (paper: as TC1);
            (5, 2) ActivityNet.
        negative_slope (float): LeakyReLU slope (0.2).
        residual (bool): the code's residual connections (not in the paper).
        dropout (float): dropout before TC3 in training (code 0.7, not in the paper).
        init_std (float): conv weights ~ N(0, init_std), biases 0 (code 0.01).
    """

    def __init__(self, num_classes: int = 20, in_channels: int = 2048, num_streams: int = 2,
                 kernel_size: int = 3, dilation: int = 1, cls_kernel_size: int = 1, cls_dilation: int = 1,
                 negative_slope: float = 0.2, residual: bool = True, dropout: float = 0.7,
                 init_std: float = 0.01) -> None:
        super().__init__()
        if in_channels % num_streams:
            raise ValueError(f'in_channels={in_channels} is not divisible by num_streams={num_streams}')
        for k, name in ((kernel_size, 'kernel_size'), (cls_kernel_size, 'cls_kernel_size')):
            if k % 2 == 0:
                raise ValueError(f'{name} must be odd for "same" padding, got {k}')
        self.num_classes, self.num_streams, self.residual = num_classes, num_streams, residual
        self.embed_dim = in_channels // num_streams
        pad = (kernel_size - 1) // 2 * dilation
        self.tc1 = nn.Conv1d(in_channels, in_channels, kernel_size, padding=pad, dilation=dilation,
                             groups=num_streams)
        self.tc2 = nn.Conv1d(in_channels, in_channels, kernel_size, padding=pad, dilation=dilation,
                             groups=num_streams)
        cpad = (cls_kernel_size - 1) // 2 * cls_dilation
        self.classifier = nn.Conv1d(in_channels, num_streams * num_classes, cls_kernel_size, padding=cpad,
                                    dilation=cls_dilation, groups=num_streams)
        self.act = nn.LeakyReLU(negative_slope)
        self.dropout = nn.Dropout(dropout)
        for conv in (self.tc1, self.tc2, self.classifier):
            nn.init.normal_(conv.weight, 0.0, init_std)
            nn.init.zeros_(conv.bias)

    def forward(self, features: Tensor) -> Dict[str, Tensor]:
        """Run both streams.

        Args:
            features (Tensor): (B, T, in_channels) snippet features.

        Returns:
            dict: ``tcam`` (B, T, C) mean of the streams' sigmoids; ``embeddings`` (B, T, D) mean of
            the streams' features (post-dropout in training); ``logits`` (B, T, S, C) per stream.
        """
        x = features.transpose(1, 2)  # (B, d, T)
        h1 = self.act(self.tc1(x))
        h1 = h1 + x if self.residual else h1
        h2 = self.act(self.tc2(h1))
        h2 = h2 + h1 if self.residual else h2
        h = self.dropout(h2)
        logits = self.classifier(h)  # (B, S*C, T)
        B, _, T = logits.shape
        logits = logits.reshape(B, self.num_streams, self.num_classes, T).permute(0, 3, 1, 2)
        emb = h.reshape(B, self.num_streams, self.embed_dim, T).mean(dim=1).transpose(1, 2)
        return dict(tcam=logits.sigmoid().mean(dim=2), embeddings=emb, logits=logits)
