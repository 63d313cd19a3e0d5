"""Test-time matching pieces: per-channel cosine feature loss, border crop, resizing, PSNR / SSIM."""
import torch
import torch.nn.functional as F
from torch import Tensor


def per_channel_cosine_loss(feat: Tensor, target: Tensor, eps: float = 1e-6) -> Tensor:
    """DFNet's direct-feature-matching loss: ``1 - mean_c cos(F[c, :], F_query[c, :])``.

    Each channel's whole spatial map is one vector (per channel, NOT per pixel; NeFeS trap T3).

    Args:
        feat (Tensor): (B, C, H, W) rendered features.
        target (Tensor): (B, C, H, W) query features.
        eps (float): cosine-similarity epsilon.

    Returns:
        Tensor: scalar, in [0, 2]; 0 when every channel map is a positive multiple of the target's.
    """
    if feat.shape != target.shape or feat.dim() != 4:
        raise ValueError(f'per_channel_cosine_loss: expected two (B, C, H, W) maps of one shape, got '
                         f'{tuple(feat.shape)} and {tuple(target.shape)}')
    cos = F.cosine_similarity(feat.flatten(2), target.flatten(2), dim=-1, eps=eps)  # (B, C)
    return 1 - cos.mean()


def crop_border(x: Tensor, border: int) -> Tensor:
    """Drop ``border`` pixels on every side of (..., H, W) maps (CNN zero-padding artefacts)."""
    if border <= 0:
        return x
    if x.shape[-2] <= 2 * border or x.shape[-1] <= 2 * border:
        raise ValueError(f'crop_border: a {border}-px border leaves nothing of a {tuple(x.shape[-2:])} map')
    return x[..., border:-border, border:-border]


def resize_bicubic(x: Tensor, size) -> Tensor:
    """(B, C, h, w) -> (B, C, H, W) bicubic, ``align_corners=False`` (``nn.Upsample`` default)."""
    return F.interpolate(x, size=tuple(size), mode='bicubic', align_corners=False)


def psnr(img: Tensor, target: Tensor) -> Tensor:
    """PSNR in dB of images in [0, 1]: (B, 3, H, W) pair -> scalar (from the mean squared error)."""
    mse = F.mse_loss(img, target)
    return -10 * torch.log10(mse.clamp_min(1e-12))


def ssim(img: Tensor, target: Tensor, window: int = 11, sigma: float = 1.5) -> Tensor:
    """Mean SSIM (Gaussian window 11, sigma 1.5, C1 = 0.01^2, C2 = 0.03^2) of (B, C, H, W) images in [0, 1]."""
    coords = torch.arange(window, dtype=img.dtype, device=img.device) - (window - 1) / 2
    g = torch.exp(-coords**2 / (2 * sigma**2))
    g = g / g.sum()
    kernel = (g[:, None] * g[None, :]).expand(img.shape[1], 1, window, window).contiguous()

    def blur(x):
        return F.conv2d(x, kernel, padding=window // 2, groups=img.shape[1])

    mu_x, mu_y = blur(img), blur(target)
    var_x = blur(img * img) - mu_x**2
    var_y = blur(target * target) - mu_y**2
    cov = blur(img * target) - mu_x * mu_y
    c1, c2 = 0.01**2, 0.03**2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return ssim_map.mean()
