"""A faster NeFeS field backend: multi-resolution dense voxel grids with small MLP decoders (plain PyTorch).

Same interface as :class:`~.field.NeFeSField` (``forward(xyz, viewdirs | None) -> dict``), so it plugs
into :class:`~.nefes.NeFeS` as ``coarse=dict(type='NeFeSGridField', ...)`` / ``fine=...``. Each point is
looked up by trilinear interpolation (``F.grid_sample``, differentiable w.r.t. both the grid values and
the point, so pose refinement works through it) in L dense grids of increasing resolution inside an
axis-aligned box of the NeRF frame; the concatenated grid features go through a one-hidden-layer
density decoder and a colour+feature decoder that also sees the encoded view direction. Outside the box
the density is zero. The per-sample MLP cost is a few thousand multiply-adds instead of ~250k for the
8 x 128 NeFeS trunk, the idea behind the instant-NGP / DVGO speed-ups the paper mentions (S: ~66x with
tiny-cuda-nn), without CUDA extensions.
"""
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from wsl.registry import MODELS
from .encoding import NeFeSPositionalEncoding


@MODELS.register_module()
class NeFeSGridField(nn.Module):
    """Voxel-grid NeFeS field (coarse or fine network).

    Args:
        bounds (Sequence[Sequence[float]]): ((x0, y0, z0), (x1, y1, z1)) box in NeRF units covered by the grids.
        resolutions (Sequence[int]): grid resolution per level (voxels per axis), e.g. (16, 32, 64).
        grid_channels (int): features stored per voxel and level.
        width (int): hidden width of the decoders.
        geo_channels (int): geometry features passed from the density decoder to the colour decoder.
        dir_freqs (int): L for view directions (4 -> 27 dims, as the MLP field).
        feature_channels (int): N_f, rendered feature width (128).
        transient (bool): add the NeRF-W-like transient head (the fine network), same outputs as the MLP field.
        transient_layers (int): Linear+ReLU layers of the transient head.
        init_std (float): std of the normal initialisation of the grid values.
        tv_weight (float): weight of a total-variation prior on the grid values (0 = off), returned by
            :meth:`regularization_loss` and added to the training loss by :class:`~.model.NeFeSModel`.
            Not part of NeFeS (its MLP field needs none); voxel grids trained from few views need it to
            keep a consistent geometry between the training views (as DVGO / Plenoxels do).
    """

    def __init__(self, bounds: Sequence[Sequence[float]] = ((-1., -1., -1.), (1., 1., 1.)),
                 resolutions: Sequence[int] = (16, 32, 64), grid_channels: int = 4, width: int = 64,
                 geo_channels: int = 15, dir_freqs: int = 4, feature_channels: int = 128, transient: bool = False,
                 transient_layers: int = 1, init_std: float = 0.1, tv_weight: float = 0.0):
        super().__init__()
        lo, hi = torch.tensor(bounds[0], dtype=torch.float32), torch.tensor(bounds[1], dtype=torch.float32)
        if lo.shape != (3, ) or hi.shape != (3, ) or not bool((hi > lo).all()):
            raise ValueError(f'NeFeSGridField: bounds must be ((x0, y0, z0), (x1, y1, z1)) with x1 > x0 etc., '
                             f'got {bounds}')
        if not resolutions or min(resolutions) < 2:
            raise ValueError(f'NeFeSGridField: resolutions must be >= 2 voxels per axis, got {resolutions}')
        self.register_buffer('lo', lo)
        self.register_buffer('hi', hi)
        if tv_weight < 0:
            raise ValueError(f'NeFeSGridField: tv_weight must be >= 0, got {tv_weight}')
        self.resolutions = tuple(int(r) for r in resolutions)
        self.tv_weight = float(tv_weight)
        # One (1, C, D=z, H=y, W=x) volume per level.
        self.grids = nn.ParameterList(
            [nn.Parameter(torch.randn(1, grid_channels, r, r, r) * init_std) for r in self.resolutions])
        self.dir_enc = NeFeSPositionalEncoding(dir_freqs)
        self.feature_channels = feature_channels
        in_ch = grid_channels * len(self.resolutions)
        self.density_net = nn.Sequential(nn.Linear(in_ch, width), nn.ReLU(inplace=True),
                                         nn.Linear(width, 1 + geo_channels))
        head_in = geo_channels + self.dir_enc.out_channels
        self.color_net = nn.Sequential(nn.Linear(head_in, width), nn.ReLU(inplace=True),
                                       nn.Linear(width, 3 + feature_channels))
        self.transient = transient
        if transient:
            layers = []
            for i in range(transient_layers):
                layers += [nn.Linear(head_in if i == 0 else width, width), nn.ReLU(inplace=True)]
            self.transient_trunk = nn.Sequential(*layers)
            self.transient_sigma = nn.Sequential(nn.Linear(width, 1), nn.Softplus())
            self.transient_rgb = nn.Sequential(nn.Linear(width, 3), nn.Sigmoid())
            self.transient_beta = nn.Sequential(nn.Linear(width, 1), nn.Softplus())

    def regularization_loss(self) -> Tensor:
        """``tv_weight`` x the mean over levels of the mean squared difference between neighbouring voxels.

        Returns:
            Tensor: scalar (exactly 0 for constant grids or ``tv_weight = 0``).
        """
        if self.tv_weight == 0:
            return self.grids[0].new_zeros(())
        tv = sum(g.diff(dim=d).square().mean() for g in self.grids for d in (2, 3, 4))
        return self.tv_weight * tv / len(self.grids)

    def grid_features(self, xyz: Tensor) -> Tensor:
        """Trilinear lookup of every level: (N, 3) NeRF-frame points -> (N, L * C) (border-clamped outside)."""
        unit = 2 * (xyz - self.lo.to(xyz.dtype)) / (self.hi - self.lo).to(xyz.dtype) - 1
        coords = unit.reshape(1, -1, 1, 1, 3)
        feats = [F.grid_sample(g.to(xyz.dtype), coords, mode='bilinear', padding_mode='border', align_corners=True)
                 for g in self.grids]
        return torch.cat(feats, dim=1)[0, :, :, 0, 0].T

    def forward(self, xyz: Tensor, viewdirs: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Query the field.

        Args:
            xyz (Tensor): (..., 3) points in the NeRF frame.
            viewdirs (Tensor | None): (..., 3) unit view directions; None runs the density-only pass.

        Returns:
            dict: as :meth:`NeFeSField.forward`: ``sigma`` (...,); with directions ``rgb`` (..., 3) raw
            colour, ``feat`` (..., N_f), and with a transient head ``sigma_t``, ``rgb_t`` (..., 3), ``beta``.
        """
        lead = xyz.shape[:-1]
        flat = xyz.reshape(-1, 3)
        inside = ((flat >= self.lo.to(flat.dtype)) & (flat <= self.hi.to(flat.dtype))).all(-1)
        h = self.density_net(self.grid_features(flat))
        out = dict(sigma=(F.softplus(h[:, 0]) * inside.to(h.dtype)).reshape(lead))
        if viewdirs is None:
            return out
        hd = torch.cat([h[:, 1:], self.dir_enc(viewdirs.reshape(-1, 3))], dim=-1)
        static = self.color_net(hd)
        out.update(rgb=static[:, :3].reshape(*lead, 3), feat=static[:, 3:].reshape(*lead, -1))
        if self.transient:
            ht = self.transient_trunk(hd)
            out.update(sigma_t=(self.transient_sigma(ht)[:, 0] * inside.to(h.dtype)).reshape(lead),
                       rgb_t=self.transient_rgb(ht).reshape(*lead, 3), beta=self.transient_beta(ht)[:, 0].reshape(lead))
        return out
