"""NeFeS as an MMEngine model: progressive three-stage training losses and full-image prediction."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import Tensor

from wsl.registry import MODELS
from .losses import masked_l1_loss, nerfw_photometric_loss
from .rays import generate_rays
from .ray_sampling import sample_patches, sample_random_pixels


@MODELS.register_module()
class NeFeSModel(BaseModel):
    """Trains a :class:`~.nefes.NeFeS` with the progressive schedule (Eq. 4: L_rgb + lambda_1 L_f + lambda_2 L_fusion).

    ``stage`` (set by :class:`~.stage_hook.NeFeSProgressiveHook`) selects the losses and the sampling:
    stage 1 photometric only; stage 2 adds the L1 feature loss; stages 1-2 sample ``rays_per_image`` random
    rays per image; stage 3 adds the L1 fusion loss and samples ``num_patches`` patches of
    ``patch_size``^2 pixels, at the same positions in every image of the batch (trap T13).
    Renders and targets live on the grid ``render_scale`` times coarser than the loaded image (60-px short
    side from 240): RGB targets are a bilinear downsample, feature targets the frozen extractor's level-0
    map of the full image resized (align-corners) to that grid. Fields with a ``regularization_loss`` and a
    positive ``tv_weight`` (the voxel-grid backend's total-variation prior) add ``loss_tv_coarse`` /
    ``loss_tv_fine`` in every stage.

    Transient masks (Cambridge, :class:`~.transforms.LoadNeFeSMask`): when the data samples carry a ``mask``
    (h, w) on the render grid (true = static pixel), stages 1-2 draw rays only from valid pixels and stage 3
    drops the invalid patch pixels from every loss (photometric, feature and fusion) after the fusion CNN ran
    on the whole patches, as the official code does. Samples without ``mask`` train on every pixel.

    Inputs (from :class:`~.transforms.PackNeFeSInputs`): ``inputs`` a list of (3, H, W) images in [0, 1];
    ``data_samples`` data elements (or dicts) with ``pose_nerf`` (3, 4), ``hist`` (N_b,), ``focal`` (px at
    H x W), ``near``, ``far`` and optionally ``mask`` (h, w) bool.

    Args:
        nefes (dict): :class:`~.nefes.NeFeS` config.
        feature_extractor (dict | None): frozen feature network (``DFNet``); needed from stage 2.
        render_scale (int): image / render resolution ratio ("tinyscale", 4).
        rays_per_image (int): random rays per image in stages 1-2 (1536).
        num_patches (int): N_crop, patches per step in stage 3 (7).
        patch_size (int): S (16).
        lambda_feat (Sequence[float]): lambda_1 per stage (0, 0.04, 0.02).
        lambda_fusion (Sequence[float]): lambda_2 per stage (0, 0, 0.02).
        stage (int): initial stage.
        use_masks (bool): honour the samples' transient masks (False trains on every pixel).
        mask_shortfall (str): an image with fewer valid pixels than ``rays_per_image`` in stages 1-2:
            ``'error'`` (the official sampler draws without replacement and fails) or ``'replace'`` (draw that
            image's rays with replacement among its valid pixels).
    """

    def __init__(self, nefes: dict, feature_extractor: Optional[dict] = None, render_scale: int = 4,
                 rays_per_image: int = 1536, num_patches: int = 7, patch_size: int = 16,
                 lambda_feat: Sequence[float] = (0.0, 0.04, 0.02), lambda_fusion: Sequence[float] = (0.0, 0.0, 0.02),
                 stage: int = 1, use_masks: bool = True, mask_shortfall: str = 'error',
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if mask_shortfall not in ('error', 'replace'):
            raise ValueError(f"NeFeSModel: mask_shortfall must be 'error' or 'replace', got {mask_shortfall!r}")
        self.nefes = MODELS.build(dict(type='NeFeS', **nefes) if 'type' not in nefes else nefes)
        self.feature_extractor = MODELS.build(feature_extractor) if feature_extractor is not None else None
        if self.feature_extractor is not None:
            self.feature_extractor.requires_grad_(False)
        self.render_scale, self.rays_per_image = render_scale, rays_per_image
        self.num_patches, self.patch_size = num_patches, patch_size
        self.lambda_feat, self.lambda_fusion = tuple(lambda_feat), tuple(lambda_fusion)
        self.stage = stage
        self.use_masks, self.mask_shortfall = use_masks, mask_shortfall

    def train(self, mode: bool = True):
        """Train mode everywhere except the frozen feature extractor (always eval, running BN statistics)."""
        super().train(mode)
        if self.feature_extractor is not None:
            self.feature_extractor.eval()
        return self

    def forward(self, inputs: Union[Tensor, List[Tensor]], data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        imgs = torch.stack(list(inputs)) if not isinstance(inputs, Tensor) else inputs
        if data_samples is None:
            raise ValueError('NeFeSModel needs data_samples with pose_nerf, hist, focal, near, far')
        if mode == 'loss':
            return self.loss(imgs, data_samples)
        if mode in ('predict', 'tensor'):
            return self.predict(imgs, data_samples)
        raise ValueError(f'NeFeSModel: unknown mode {mode!r}')

    def _batch(self, imgs: Tensor, data_samples: list):
        h, w = imgs.shape[-2] // self.render_scale, imgs.shape[-1] // self.render_scale

        def stack(key):
            values = [torch.as_tensor(_field(d, key), dtype=imgs.dtype) for d in data_samples]
            return torch.stack(values).to(imgs.device)

        first = data_samples[0]
        return (h, w, stack('pose_nerf'), stack('hist'), float(_field(first, 'focal')) / self.render_scale,
                float(_field(first, 'near')), float(_field(first, 'far')))

    def _masks(self, data_samples: list, h: int, w: int, device) -> Optional[Tensor]:
        """(B, h, w) bool static-pixel masks when every sample has one (and ``use_masks``), else None."""
        has = [_has(d, 'mask') for d in data_samples]
        if not self.use_masks or not any(has):
            return None
        if not all(has):
            raise ValueError('NeFeSModel: some samples of the batch carry a transient mask and some do not; load '
                             'masks for every image of the dataset (LoadNeFeSMask) or for none')
        masks = []
        for d in data_samples:
            m = torch.as_tensor(_field(d, 'mask'))
            if tuple(m.shape) != (h, w):
                raise ValueError(f'NeFeSModel: the transient mask of {_name(d)} is {tuple(m.shape)} but the render '
                                 f'grid is ({h}, {w}); LoadNeFeSMask.render_scale must equal NeFeSModel.render_scale '
                                 f'({self.render_scale})')
            masks.append(m > 0)
        return torch.stack(masks).to(device)

    def _sample_rays(self, b: int, h: int, w: int, masks: Optional[Tensor], data_samples: list, device) -> Tensor:
        """Stage 1-2 rays: (B, rays_per_image) flat pixel indices, among static pixels when masks are given."""
        if masks is not None:
            counts = masks.flatten(1).sum(1)
            for i, n in enumerate(counts.tolist()):
                if n == 0 or (n < self.rays_per_image and self.mask_shortfall == 'error'):
                    raise ValueError(
                        f'NeFeSModel: the transient mask of {_name(data_samples[i])} leaves {n} valid pixels on the '
                        f'{h}x{w} render grid but rays_per_image={self.rays_per_image} are drawn without replacement; '
                        f'check the mask (8-bit, 255 = static, 0 = transient), lower rays_per_image or set '
                        f"mask_shortfall='replace'")
        return sample_random_pixels(b, h, w, self.rays_per_image, mask=masks, device=device,
                                    replace_if_short=self.mask_shortfall == 'replace')

    def loss(self, imgs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Stage-dependent training losses for a batch of (B, 3, H, W) images."""
        if self.stage not in (1, 2, 3):
            raise ValueError(f'NeFeSModel.stage must be 1, 2 or 3, got {self.stage}')
        b = imgs.shape[0]
        h, w, poses, hist, focal, near, far = self._batch(imgs, data_samples)
        rgb_t = F.interpolate(imgs, size=(h, w), mode='bilinear', align_corners=False).flatten(2)  # (B, 3, h*w)
        masks = self._masks(data_samples, h, w, imgs.device)
        valid = None  # (B, R) rays kept in the losses; stage-1-2 rays are all valid by construction
        if self.stage == 3:
            pix = sample_patches(h, w, self.num_patches, self.patch_size, device=imgs.device).expand(b, -1)
            if masks is not None:
                valid = torch.gather(masks.flatten(1), 1, pix)
        else:
            pix = self._sample_rays(b, h, w, masks, data_samples, imgs.device)
        rays_o, rays_d = generate_rays(poses, h, w, focal, pix)
        out = self.nefes.render_rays(rays_o, rays_d, hist, near, far, perturb=True, coarse_color=True)

        def gather(maps):  # (B, C, h*w) -> (B, R, C) at the sampled pixels
            return torch.gather(maps, 2, pix[:, None].expand(-1, maps.shape[1], -1)).transpose(1, 2)

        target = gather(rgb_t)
        losses = nerfw_photometric_loss(out['rgb_coarse'].flatten(0, 1), out['rgb'].flatten(0, 1),
                                        out['beta'].flatten(), out['sigma_t'].flatten(0, 1), target.flatten(0, 1),
                                        mask=None if valid is None else valid.flatten())
        for name, field in (('coarse', self.nefes.coarse), ('fine', self.nefes.fine)):
            if hasattr(field, 'regularization_loss') and getattr(field, 'tv_weight', 0) > 0:
                losses[f'loss_tv_{name}'] = field.regularization_loss()
        if self.stage == 1:
            return losses
        if self.feature_extractor is None:
            raise ValueError('NeFeSModel: stages 2-3 need a feature_extractor')
        with torch.no_grad():
            feat_t = self.feature_extractor.extract_features(imgs, levels=(0, ), size=(h, w))[0].flatten(2)
        feat_target = gather(feat_t)
        losses['loss_feat'] = self.lambda_feat[self.stage - 1] * masked_l1_loss(
            out['feat'], feat_target, None if valid is None else valid[..., None])
        if self.stage == 3:
            s, n = self.patch_size, self.num_patches

            def patches(x):  # (B, n*s*s, C) -> (B*n, C, s, s)
                return x.reshape(b * n, s, s, -1).permute(0, 3, 1, 2)

            fused = self.nefes.fusion(patches(out['rgb']), patches(out['feat']))  # whole patches, then the mask
            losses['loss_fusion'] = self.lambda_fusion[2] * masked_l1_loss(
                fused, patches(feat_target), None if valid is None else patches(valid[..., None]))
        return losses

    def predict(self, imgs: Tensor, data_samples: list) -> list:
        """Render each sample's view at the render grid; adds ``pred_rgb`` (3, h, w), ``pred_feat`` and
        ``pred_fused`` (C, h, w), ``pred_depth`` (1, h, w) and ``psnr`` against the downsampled image."""
        h, w, poses, hist, focal, near, far = self._batch(imgs, data_samples)
        with torch.no_grad():
            out = self.nefes.render_image(poses, hist, h, w, focal, near, far, fuse=True, perturb=False)
            target = F.interpolate(imgs, size=(h, w), mode='bilinear', align_corners=False)
            mse = (out['rgb'] - target).square().flatten(1).mean(1)
        results = []
        for i, ds in enumerate(data_samples):
            preds = dict(pred_rgb=out['rgb'][i], pred_feat=out['feat'][i], pred_fused=out['fused'][i],
                         pred_depth=out['depth'][i], psnr=float(-10 * torch.log10(mse[i].clamp_min(1e-12))))
            if isinstance(ds, dict):
                results.append(dict(ds, **preds))
            else:
                ds = ds.clone()
                for k, v in preds.items():
                    ds.set_field(v, k)
                results.append(ds)
        return results


def _has(sample, key: str) -> bool:
    return key in sample


def _name(sample) -> str:
    """A sample's image for error messages."""
    for key in ('img_path', 'img_id'):
        if _has(sample, key):
            return repr(_field(sample, key))
    return 'a sample'


def _field(sample, key: str):
    """Read ``key`` from a dict or a data element (data field or metainfo)."""
    if isinstance(sample, dict):
        if key not in sample:
            raise KeyError(f'NeFeSModel: data sample lacks {key!r}')
        return sample[key]
    if key not in sample:
        raise KeyError(f'NeFeSModel: data sample lacks {key!r}')
    return getattr(sample, key)
