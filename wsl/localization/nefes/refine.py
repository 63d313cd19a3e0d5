"""NeFeS test-time refinement: direct-pose mode and APR-weights mode (NeFeS_m).

Both modes minimise the per-channel cosine distance between features NeFeS renders at the current
pose and the query image's DFNet features; NeFeS and the feature extractor stay frozen.

* APR-weights mode (all headline numbers): per query, a fresh copy of the APR is optimised with Adam
  (lr 1e-5, m = 50 iterations); the refined pose is the copy's prediction after the updates. Rendering
  happens at short side 60 and the fused features are bicubically upsampled to the feature size
  (short side 240), with a 10-px border cropped from both maps. A verification step keeps the APR's
  original pose if the PSNR or SSIM of the render against the query dropped between the first and
  the last iteration (7-Scenes; disabled for Cambridge).
* Direct-pose mode: a rotation vector r and translation t per query, Adam with separate learning
  rates lr_R / lr_t, applied as ``R' = exp(r) R``, ``t' = t0 + V(r) t`` in the APR frame (metres).

A renderer here is any callable ``pose (B, 3, 4) APR-frame c2w -> {'feat': (B, C, H, W),
'rgb': (B, 3, H, W)}`` at the resolution of the target features; :class:`NeFeSQueryRenderer` builds one
from a :class:`~.nefes.NeFeS` model.
"""
import copy
from typing import Callable, Dict, Optional, Sequence

import torch
from torch import Tensor, nn

from .feature_matching import crop_border, per_channel_cosine_loss, psnr, resize_bicubic, ssim
from .pose import apply_pose_correction, project_to_so3
from .scene_frames import NeFeSSceneSetup

Renderer = Callable[[Tensor], Dict[str, Tensor]]


class NeFeSQueryRenderer:
    """Renders fused features and colour of a NeFeS model for APR-frame poses of one query.

    Args:
        model (nn.Module): a :class:`~.nefes.NeFeS` (frozen by the caller).
        scene (NeFeSSceneSetup): near/far and the APR -> NeRF translation scaling.
        hist (Tensor): (1, N_b) or (B, N_b) luminance histogram of the query (drives the ACT).
        render_size (Sequence[int]): (h, w) render resolution (60 x 80 on 7-Scenes, 60 x 106 Cambridge).
        focal (float): focal length in pixels at the render resolution.
        out_size (Sequence[int] | None): (H, W) to bicubically upsample features and colour to
            (APR-weights mode: the 240-px feature size); None keeps the render size (direct-pose mode).
    """

    def __init__(self, model: nn.Module, scene: NeFeSSceneSetup, hist: Tensor, render_size: Sequence[int],
                 focal: float, out_size: Optional[Sequence[int]] = None):
        self.model, self.scene, self.hist = model, scene, hist
        self.render_size, self.focal, self.out_size = tuple(render_size), focal, out_size

    def __call__(self, pose: Tensor) -> Dict[str, Tensor]:
        """pose (B, 3, 4) APR-frame c2w -> ``feat`` (B, C, H, W) fused features, ``rgb`` (B, 3, H, W)."""
        hist = self.hist.expand(pose.shape[0], -1)
        out = self.model.render_image(self.scene.to_nerf(pose), hist, *self.render_size, self.focal, self.scene.near,
                                      self.scene.far, fuse=True, perturb=False)
        feat, rgb = out['fused'], out['rgb']
        if self.out_size is not None:
            feat, rgb = resize_bicubic(feat, self.out_size), resize_bicubic(rgb, self.out_size)
        return dict(feat=feat, rgb=rgb)


class NeFeSPoseCorrection(nn.Module):
    """Per-pose SE(3) correction (r, t), zero-initialised, applied as in the official ``LearnPose``.

    Args:
        num_poses (int): B, poses refined together (each has its own parameters).
    """

    def __init__(self, num_poses: int):
        super().__init__()
        self.rotvec = nn.Parameter(torch.zeros(num_poses, 3))
        self.trans = nn.Parameter(torch.zeros(num_poses, 3))

    def forward(self, pose: Tensor) -> Tensor:
        """Corrected (B, 3, 4) poses from the initial (B, 3, 4) poses."""
        return apply_pose_correction(pose, self.rotvec.to(pose.dtype), self.trans.to(pose.dtype))

    def optimizer(self, lr_rot: float, lr_trans: float) -> torch.optim.Optimizer:
        """Adam with two parameter groups: r at ``lr_rot`` (lr_R), t at ``lr_trans`` (lr_t)."""
        return torch.optim.Adam([dict(params=[self.rotvec], lr=lr_rot), dict(params=[self.trans], lr=lr_trans)])


def photometric_loss(rendered: Dict[str, Tensor], target: Tensor) -> Tensor:
    """Mean squared colour error of ``rendered['rgb']`` (B, 3, H, W) against a (B, 3, H, W) image (a baseline)."""
    return (rendered['rgb'] - target).square().mean()


def refine_pose_direct(render: Renderer, init_pose: Tensor, target_feat: Tensor, num_iters: int = 50,
                       lr_rot: float = 0.01, lr_trans: float = 0.1, border: int = 0,
                       loss_fn: Optional[Callable[[Dict[str, Tensor], Tensor], Tensor]] = None) -> Dict[str, object]:
    """Direct-pose refinement (official ``pose_only=3``; defaults lr_R = 0.01, lr_t = 0.1, 50 iterations).

    The feature target is DFNet level 0 at the render resolution (no upsampling, no crop, no
    verification). Several queries can be refined in one batch: the loss is a mean over them, and
    Adam's per-parameter normalisation makes each query's update independent of the others.

    Args:
        render (Renderer): pose -> dict with ``feat``.
        init_pose (Tensor): (B, 3, 4) initial APR-frame poses.
        target_feat (Tensor): (B, C, H, W) query features.
        num_iters (int): optimisation steps.
        lr_rot (float): lr_R (radians per step scale).
        lr_trans (float): lr_t (metres per step scale in the APR frame).
        border (int): pixels cropped from both maps before the loss.
        loss_fn (callable | None): ``(rendered dict, target) -> loss`` replacing the feature-metric loss, e.g.
            :func:`photometric_loss` with the query image as ``target_feat`` (photometric refinement baseline);
            ``border`` is then not applied.

    Returns:
        dict: ``pose`` (B, 3, 4) refined (detached) and ``losses`` (list of floats, one per iteration,
        measured before that iteration's step).
    """
    init_pose = init_pose.detach()
    corr = NeFeSPoseCorrection(init_pose.shape[0]).to(init_pose.device)
    optim = corr.optimizer(lr_rot, lr_trans)
    target = crop_border(target_feat.detach(), border) if loss_fn is None else target_feat.detach()
    losses = []
    for _ in range(num_iters):
        out = render(corr(init_pose))
        loss = per_channel_cosine_loss(crop_border(out['feat'], border), target) if loss_fn is None \
            else loss_fn(out, target)
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(float(loss))
    with torch.no_grad():
        return dict(pose=corr(init_pose).detach(), losses=losses)


def apr_pose(apr: nn.Module, image: Tensor) -> Tensor:
    """Run an APR and return (B, 3, 4) poses with rotations projected onto SO(3) (``svd_reg``).

    The APR may output (B, 12) flattened [R|t] or (B, 3, 4).
    """
    out = apr(image)
    if out.shape[-2:] != (3, 4):
        if out.shape[-1] != 12:
            raise ValueError(f'APR output must be (B, 12) or (B, 3, 4), got {tuple(out.shape)}')
        out = out.reshape(-1, 3, 4)
    return torch.cat([project_to_so3(out[..., :3]), out[..., 3:]], dim=-1)


def refine_apr_weights(apr: nn.Module, image: Tensor, render: Renderer, target_feat: Tensor, num_iters: int = 50,
                       lr: float = 1e-5, border: int = 10, verify_image: Optional[Tensor] = None,
                       freeze_bn: bool = False) -> Dict[str, object]:
    """APR-weights refinement (NeFeS_m, official ``pose_only=2``) of one query.

    Args:
        apr (nn.Module): trained APR (left untouched; a deep copy is optimised).
        image (Tensor): (1, 3, H, W) query as the APR expects it.
        render (Renderer): pose -> ``feat`` and ``rgb`` at the target's resolution (upsampled to it).
        target_feat (Tensor): (1, C, H, W) query features (DFNet level 0 at short side 240).
        num_iters (int): m (50 for NeFeS50).
        lr (float): Adam learning rate on the APR weights (1e-5).
        border (int): pixels cropped from rendered and target maps (10).
        verify_image (Tensor | None): (1, 3, H, W) query in [0, 1] for the verification fall-back
            (7-Scenes); None disables it (Cambridge).
        freeze_bn (bool): put the copy's BatchNorm layers in eval mode. NeFeS keeps the copy in train()
            mode, so BN uses batch statistics and updates running stats (trap T7); False reproduces that.

    Returns:
        dict: ``pose`` (1, 3, 4) final pose, ``refined_pose`` (the copy's prediction), ``initial_pose``
        (the original APR's), ``fell_back`` (bool), ``losses`` (per iteration, before its step) and,
        with verification, ``psnr`` / ``ssim`` as (first, last) pairs.
    """
    with torch.no_grad():
        initial = apr_pose(apr, image)
    model = copy.deepcopy(apr)
    model.train()
    if freeze_bn:
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.eval()
    optim = torch.optim.Adam(model.parameters(), lr=lr)
    target = crop_border(target_feat.detach(), border)
    gt_rgb = crop_border(verify_image, border) if verify_image is not None else None
    losses, quality = [], []
    for i in range(num_iters):
        out = render(apr_pose(model, image))
        loss = per_channel_cosine_loss(crop_border(out['feat'], border), target)
        if gt_rgb is not None and i in (0, num_iters - 1):
            with torch.no_grad():
                rgb = crop_border(out['rgb'], border)
                quality.append((float(psnr(rgb, gt_rgb)), float(ssim(rgb, gt_rgb))))
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(float(loss))
    with torch.no_grad():
        refined = apr_pose(model, image)
    result = dict(refined_pose=refined, initial_pose=initial, losses=losses, fell_back=False, pose=refined)
    if quality:
        (p0, s0), (p1, s1) = quality[0], quality[-1]
        result.update(psnr=(p0, p1), ssim=(s0, s1), fell_back=p1 < p0 or s1 < s0)
        if result['fell_back']:
            result['pose'] = initial
    return result
