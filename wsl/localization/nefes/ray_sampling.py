"""Which pixels NeFeS trains on: random rays (stages 1-2) or shared square patches (stage 3)."""
from typing import Optional

import torch
from torch import Tensor


def sample_random_pixels(num_images: int, height: int, width: int, num_rays: int, mask: Optional[Tensor] = None,
                         generator: Optional[torch.Generator] = None, device=None) -> Tensor:
    """Draw ``num_rays`` distinct pixels per image, uniformly (among ``mask > 0`` pixels when given).

    Args:
        num_images (int): B.
        height (int): h of the render grid.
        width (int): w of the render grid.
        num_rays (int): rays per image (1536 in NeFeS).
        mask (Tensor | None): (B, h, w) valid-pixel masks (Cambridge transient-object masks).

    Returns:
        Tensor: (B, num_rays) flat indices ``row * w + col``.
    """
    weights = torch.ones(num_images, height * width, device=device) if mask is None else \
        (mask.reshape(num_images, -1) > 0).float()
    valid = (weights > 0).sum(1)
    if (valid < num_rays).any():
        raise ValueError(f'sample_random_pixels: asked for {num_rays} rays per image but an image has only '
                         f'{int(valid.min())} valid pixels')
    return torch.multinomial(weights, num_rays, replacement=False, generator=generator)


def sample_patches(height: int, width: int, num_patches: int, patch_size: int,
                   generator: Optional[torch.Generator] = None, device=None) -> Tensor:
    """Draw ``num_patches`` square patches (N_crop = 7, S = 16 in NeFeS); NeFeS shares them across the batch.

    Returns:
        Tensor: (num_patches * S * S,) flat pixel indices, patch by patch, each patch row-major.
    """
    if patch_size > min(height, width):
        raise ValueError(f'sample_patches: {patch_size}-px patches do not fit a {height}x{width} grid')
    rows = torch.randint(0, height - patch_size + 1, (num_patches, ), generator=generator)
    cols = torch.randint(0, width - patch_size + 1, (num_patches, ), generator=generator)
    offs = torch.arange(patch_size)
    pix = (rows[:, None, None] + offs[None, :, None]) * width + cols[:, None, None] + offs[None, None, :]
    return pix.reshape(-1).to(device)
