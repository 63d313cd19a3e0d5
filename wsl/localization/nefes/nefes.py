"""NeFeS: coarse and fine fields, exposure-adaptive ACT, fusion CNN and the renderer, composed."""
from typing import Dict, Optional

import torch
from torch import Tensor, nn

from wsl.registry import MODELS
from .act import NeFeSExposureACT
from .field import NeFeSField
from .fusion import NeFeSFusionCNN
from .rays import generate_rays
from .renderer import NeFeSRenderer


@MODELS.register_module()
class NeFeS(nn.Module):
    """Neural feature synthesiser: renders colour and 128-d features for a camera pose.

    Components are built from config dicts (``type`` may be omitted; the defaults are the paper's).
    Following the official code, ACT and fusion CNN belong to the model as a whole and only the fine
    network has a transient head.

    Args:
        coarse (dict): :class:`NeFeSField` kwargs for the coarse network.
        fine (dict): :class:`NeFeSField` kwargs for the fine network (``transient=True``).
        act (dict): :class:`NeFeSExposureACT` kwargs.
        fusion (dict): :class:`NeFeSFusionCNN` kwargs.
        renderer (dict): :class:`NeFeSRenderer` kwargs (64 + 64 samples, last delta 100, beta_min 0.1).
        chunk (int): rays per network call when rendering (bounds memory; gradients still flow).
    """

    def __init__(self, coarse: Optional[dict] = None, fine: Optional[dict] = None, act: Optional[dict] = None,
                 fusion: Optional[dict] = None, renderer: Optional[dict] = None, chunk: int = 8192):
        super().__init__()
        self.coarse = self._build(NeFeSField, coarse or {})
        self.fine = self._build(NeFeSField, {'transient': True, **(fine or {})})
        self.act = self._build(NeFeSExposureACT, act or {})
        self.fusion = self._build(NeFeSFusionCNN, fusion or {})
        self.renderer = NeFeSRenderer(**(renderer or {}))
        self.chunk = chunk

    @staticmethod
    def _build(cls, cfg: dict) -> nn.Module:
        return MODELS.build(cfg) if 'type' in cfg else cls(**cfg)

    def render_rays(self, rays_o: Tensor, rays_d: Tensor, hist: Tensor, near: float, far: float,
                    perturb: Optional[bool] = None, coarse_color: Optional[bool] = None,
                    generator: Optional[torch.Generator] = None) -> Dict[str, Tensor]:
        """Render rays of B images (R rays each) and exposure-correct their colour.

        Args:
            rays_o (Tensor): (B, R, 3) origins in the NeRF frame.
            rays_d (Tensor): (B, R, 3) directions (camera-z of length 1).
            hist (Tensor): (B, N_b) luminance histograms driving the ACT.
            near (float): near bound (NeRF units).
            far (float): far bound.
            perturb (bool | None): stochastic sampling; defaults to ``self.training``.
            coarse_color (bool | None): also render the coarse colour; defaults to ``self.training``.

        Returns:
            dict: ``rgb`` (B, R, 3) ``sigmoid(K C + b)``, ``rgb_raw`` (B, R, 3) before ACT, ``feat``
            (B, R, C), ``depth`` / ``acc`` (B, R), and when present ``rgb_coarse`` (B, R, 3),
            ``beta`` (B, R), ``sigma_t`` (B, R, S).
        """
        perturb = self.training if perturb is None else perturb
        coarse_color = self.training if coarse_color is None else coarse_color
        b, r = rays_o.shape[:2]
        flat_o, flat_d = rays_o.reshape(-1, 3), rays_d.reshape(-1, 3)
        parts = [self.renderer(self.coarse, self.fine, flat_o[i:i + self.chunk], flat_d[i:i + self.chunk], near, far,
                               perturb, coarse_color, generator) for i in range(0, len(flat_o), self.chunk)]
        keep = ('rgb', 'feat', 'depth', 'acc', 'rgb_coarse', 'beta', 'sigma_t')
        out = {k: torch.cat([p[k] for p in parts]).reshape(b, r, *parts[0][k].shape[1:]) for k in keep
               if k in parts[0]}
        out['rgb_raw'] = out['rgb']
        out['rgb'] = self.act(out['rgb_raw'], hist)
        return out

    def render_image(self, c2w: Tensor, hist: Tensor, height: int, width: int, focal: float, near: float,
                     far: float, fuse: bool = True, perturb: bool = False) -> Dict[str, Tensor]:
        """Render whole images and (optionally) run the fusion CNN on them.

        Args:
            c2w (Tensor): (B, 3, 4) camera-to-world poses in the NeRF frame.
            hist (Tensor): (B, N_b) query histograms.
            height (int): render height (60 in NeFeS).
            width (int): render width (80 for 7-Scenes, 106 for Cambridge).
            focal (float): focal length in pixels at the render resolution.
            near (float): near bound.
            far (float): far bound.
            fuse (bool): also return the fusion-CNN features.
            perturb (bool): stochastic sampling (False at test time).

        Returns:
            dict: ``rgb`` (B, 3, H, W), ``feat`` (B, C, H, W), ``depth`` (B, 1, H, W) and with
            ``fuse`` ``fused`` (B, C, H, W).
        """
        rays_o, rays_d = generate_rays(c2w, height, width, focal)
        out = self.render_rays(rays_o, rays_d, hist, near, far, perturb=perturb, coarse_color=False)
        img = {k: out[k].reshape(c2w.shape[0], height, width, -1).permute(0, 3, 1, 2)
               for k in ('rgb', 'feat', 'depth')}
        if fuse:
            img['fused'] = self.fusion(img['rgb'], img['feat'])
        return img

