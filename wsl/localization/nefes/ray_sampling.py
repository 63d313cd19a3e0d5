"""Which pixels NeFeS trains on: random rays (stages 1-2) or shared square patches (stage 3)."""
from typing import Optional

import torch
from torch import Tensor


def sample_random_pixels(num_images: int, height: int, width: int, num_rays: int, mask: Optional[Tensor] = None,
                         generator: Optional[torch.Generator] = None, device=None,
                         replace_if_short: bool = False) -> Tensor:
    """Draw ``num_rays`` distinct pixels per image, uniformly (among ``mask > 0`` pixels when given).

    NeFeS (``np.random.choice(..., replace=False)`` over the static pixels) has no answer for an image with fewer
    valid pixels than rays; that is an error here unless ``replace_if_short``, which draws the rays of such an
    image uniformly *with* replacement among its valid pixels (the other images keep distinct pixels).

    Args:
        num_images (int): B.
        height (int): h of the render grid.
        width (int): w of the render grid.
        num_rays (int): rays per image (1536 in NeFeS).
        mask (Tensor | None): (B, h, w) valid-pixel masks (Cambridge transient-object masks).
        replace_if_short (bool): sample with replacement in images with fewer than ``num_rays`` valid pixels.

    Returns:
        Tensor: (B, num_rays) flat indices ``row * w + col``.

    Raises:
        ValueError: an image has no valid pixel, or fewer than ``num_rays`` without ``replace_if_short``.
    """
    if mask is not None and tuple(mask.shape) != (num_images, height, width):
        raise ValueError(f'sample_random_pixels: mask must be ({num_images}, {height}, {width}), got '
                         f'{tuple(mask.shape)}')
    weights = torch.ones(num_images, height * width, device=device) if mask is None else \
        (mask.reshape(num_images, -1) > 0).float()
    valid = (weights > 0).sum(1)
    short = valid < num_rays
    if (valid == 0).any() or (short.any() and not replace_if_short):
        i = int(valid.argmin())
        raise ValueError(f'sample_random_pixels: asked for {num_rays} rays per image but image {i} has only '
                         f'{int(valid[i])} valid pixels')
    pix = torch.multinomial(weights, num_rays, replacement=False, generator=generator) if not short.any() else \
        torch.stack([torch.multinomial(w, num_rays, replacement=bool(s), generator=generator)
                     for w, s in zip(weights, short)])
    return pix


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
