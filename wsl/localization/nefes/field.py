"""The NeFeS radiance-and-feature field: a NeRF-style MLP emitting density, colour and features."""
from typing import Dict, Optional, Sequence

import torch
from torch import Tensor, nn

from wsl.registry import MODELS
from .encoding import NeFeSPositionalEncoding


@MODELS.register_module()
class NeFeSField(nn.Module):
    """One NeFeS MLP (the coarse or the fine network).

    Density trunk of ``depth`` ReLU layers (the encoded position re-enters at the ``skips`` layers),
    density head Linear+Softplus, a linear "final" layer, a view-direction branch (Linear+ReLU to
    width/2) and a static head emitting ``3 + feature_channels`` channels with NO activation
    (raw colour, then features; NeFeS trap T5). With ``transient=True`` a NeRF-W-like head
    (conditioned on position features and view direction only, no per-image code) adds a transient
    density (Softplus), colour (Sigmoid) and uncertainty beta (Softplus).

    Args:
        depth (int): trunk layers (8).
        width (int): W, trunk width (128).
        skips (Sequence[int]): trunk layers that also take the encoded position (4 = 5th layer).
        pos_freqs (int): L for positions (10 -> 63 dims).
        dir_freqs (int): L for view directions (4 -> 27 dims).
        feature_channels (int): N_f, rendered feature width (128).
        transient (bool): build the transient head (the fine network).
        transient_layers (int): Linear+ReLU layers of the transient head (3).
    """

    def __init__(self, depth: int = 8, width: int = 128, skips: Sequence[int] = (4, ), pos_freqs: int = 10,
                 dir_freqs: int = 4, feature_channels: int = 128, transient: bool = False,
                 transient_layers: int = 3):
        super().__init__()
        self.pos_enc = NeFeSPositionalEncoding(pos_freqs)
        self.dir_enc = NeFeSPositionalEncoding(dir_freqs)
        self.skips = tuple(skips)
        self.feature_channels = feature_channels
        pos_ch, dir_ch = self.pos_enc.out_channels, self.dir_enc.out_channels
        self.trunk = nn.ModuleList([
            nn.Linear(pos_ch if i == 0 else width + (pos_ch if i in self.skips else 0), width) for i in range(depth)
        ])
        self.sigma_head = nn.Sequential(nn.Linear(width, 1), nn.Softplus())
        self.final = nn.Linear(width, width)
        self.dir_branch = nn.Sequential(nn.Linear(width + dir_ch, width // 2), nn.ReLU(inplace=True))
        self.static_head = nn.Linear(width // 2, 3 + feature_channels)
        self.transient = transient
        if transient:
            layers = []
            for i in range(transient_layers):
                layers += [nn.Linear(width + dir_ch if i == 0 else width // 2, width // 2), nn.ReLU(inplace=True)]
            self.transient_trunk = nn.Sequential(*layers)
            self.transient_sigma = nn.Sequential(nn.Linear(width // 2, 1), nn.Softplus())
            self.transient_rgb = nn.Sequential(nn.Linear(width // 2, 3), nn.Sigmoid())
            self.transient_beta = nn.Sequential(nn.Linear(width // 2, 1), nn.Softplus())

    def forward(self, xyz: Tensor, viewdirs: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Query the field.

        Args:
            xyz (Tensor): (N, 3) points in the NeRF frame.
            viewdirs (Tensor | None): (N, 3) unit view directions; None runs the density-only pass
                (what the coarse network does at test time).

        Returns:
            dict: ``sigma`` (N,) static density; with directions also ``rgb`` (N, 3) raw colour and
            ``feat`` (N, N_f) features, and for a transient field ``sigma_t`` (N,), ``rgb_t`` (N, 3),
            ``beta`` (N,).
        """
        x_enc = self.pos_enc(xyz)
        h = x_enc
        for i, layer in enumerate(self.trunk):
            if i in self.skips:
                h = torch.cat([x_enc, h], dim=-1)
            h = torch.relu(layer(h))
        out = dict(sigma=self.sigma_head(h)[..., 0])
        if viewdirs is None:
            return out
        final = self.final(h)
        hd = torch.cat([final, self.dir_enc(viewdirs)], dim=-1)
        static = self.static_head(self.dir_branch(hd))
        out.update(rgb=static[..., :3], feat=static[..., 3:])
        if self.transient:
            ht = self.transient_trunk(hd)
            out.update(sigma_t=self.transient_sigma(ht)[..., 0], rgb_t=self.transient_rgb(ht),
                       beta=self.transient_beta(ht)[..., 0])
        return out
