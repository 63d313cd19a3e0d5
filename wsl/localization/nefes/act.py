"""Exposure-adaptive ACT: an affine colour transform predicted from the query's luminance histogram."""
from typing import Tuple

import torch
from torch import Tensor, nn

from wsl.registry import MODELS


def luminance_histogram(img: Tensor, bins: int = 10) -> Tensor:
    """NeFeS's 10-bin luminance histogram, in integer percentages.

    Y = 0.299 R + 0.587 G + 0.114 B (the YUV luma), histogram over [0, 1] with the top edge in the last
    bin (as ``torch.histc``), normalised to sum 100 and rounded to integers.

    Args:
        img (Tensor): (B, 3, H, W) or (3, H, W) RGB in [0, 1].
        bins (int): N_b.

    Returns:
        Tensor: (B, bins) or (bins,) float histograms.
    """
    single = img.dim() == 3
    if single:
        img = img[None]
    if img.dim() != 4 or img.shape[1] != 3:
        raise ValueError(f'luminance_histogram: expected (B, 3, H, W) RGB, got {tuple(img.shape)}')
    y = 0.299 * img[:, 0] + 0.587 * img[:, 1] + 0.114 * img[:, 2]
    y = y.flatten(1)
    inside = (y >= 0) & (y <= 1)  # values outside [0, 1] are ignored, as histc does
    idx = (y * bins).floor().long().clamp(0, bins - 1)
    counts = torch.zeros(img.shape[0], bins, dtype=img.dtype, device=img.device)
    counts.scatter_add_(1, idx, inside.to(img.dtype))
    hist = torch.round(counts / counts.sum(1, keepdim=True).clamp_min(1) * 100)
    return hist[0] if single else hist


def affine_color_transform(rgb: Tensor, mat: Tensor, bias: Tensor) -> Tensor:
    """Per-image affine colour map ``K c + b`` (the "ACT").

    Args:
        rgb (Tensor): (B, N, 3) colours (N rays or pixels per image).
        mat (Tensor): (B, 3, 3) K.
        bias (Tensor): (B, 3) b.

    Returns:
        Tensor: (B, N, 3).
    """
    return rgb @ mat.transpose(-1, -2) + bias[:, None, :]


@MODELS.register_module()
class NeFeSExposureACT(nn.Module):
    """MLP histogram -> (K, b), then ``sigmoid(K C(r) + b)`` on the integrated fine colour.

    The official module is a bias-free fp16 tiny-cuda-nn MLP fed with the un-normalised integer
    histogram (NeFeS trap T12); this one is plain fp32 PyTorch with biases optional.

    Args:
        bins (int): N_b, histogram bins (10).
        width (int): hidden width (32).
        num_layers (int): linear layers (4: 10 -> 32 -> 32 -> 32 -> 12).
        bias (bool): give the linear layers biases (the original has none).
    """

    def __init__(self, bins: int = 10, width: int = 32, num_layers: int = 4, bias: bool = False):
        super().__init__()
        dims = [bins] + [width] * (num_layers - 1) + [12]
        layers = []
        for i in range(num_layers):
            layers.append(nn.Linear(dims[i], dims[i + 1], bias=bias))
            if i < num_layers - 1:
                layers.append(nn.ReLU(inplace=True))
        self.mlp = nn.Sequential(*layers)
        self.bins = bins

    def predict(self, hist: Tensor) -> Tuple[Tensor, Tensor]:
        """(B, N_b) histograms -> K (B, 3, 3) and b (B, 3)."""
        if hist.dim() != 2 or hist.shape[1] != self.bins:
            raise ValueError(f'NeFeSExposureACT: expected (B, {self.bins}) histograms, got {tuple(hist.shape)}')
        out = self.mlp(hist.float())
        return out[:, :9].reshape(-1, 3, 3), out[:, 9:]

    def forward(self, rgb: Tensor, hist: Tensor) -> Tensor:
        """Exposure-compensate integrated colours.

        Args:
            rgb (Tensor): (B, N, 3) integrated fine colour (static + transient, un-squashed).
            hist (Tensor): (B, N_b) luminance histograms of the images the rays come from.

        Returns:
            Tensor: (B, N, 3) colours in (0, 1).
        """
        mat, bias = self.predict(hist)
        return torch.sigmoid(affine_color_transform(rgb, mat.to(rgb.dtype), bias.to(rgb.dtype)))
