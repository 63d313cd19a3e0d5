"""Pinhole ray generation in the NeFeS camera convention."""
from typing import Optional, Tuple

import torch
from torch import Tensor


def camera_directions(height: int, width: int, focal: float, device=None, dtype=torch.float32) -> Tensor:
    """Camera-frame ray directions of every pixel (OpenGL camera: x right, y up, looking down -z).

    Pixel (i, j) (column, row; integer coordinates, no +0.5) maps to
    ``((i - W/2) / f, -(j - H/2) / f, -1)``: camera-z is -1, so the sample "depth" t along the ray is
    depth along the optical axis (the directions are not unit length; NeFeS trap T11).

    Returns:
        Tensor: (H, W, 3).
    """
    j, i = torch.meshgrid(torch.arange(height, device=device, dtype=dtype),
                          torch.arange(width, device=device, dtype=dtype), indexing='ij')
    return torch.stack([(i - width / 2) / focal, -(j - height / 2) / focal, -torch.ones_like(i)], dim=-1)


def generate_rays(c2w: Tensor, height: int, width: int, focal: float,
                  pixels: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """World-frame rays for a batch of cameras.

    Args:
        c2w (Tensor): (B, 3, 4) camera-to-world poses (NeRF frame); gradients flow into them.
        height (int): H in pixels of the render.
        width (int): W in pixels of the render.
        focal (float): focal length in pixels at this resolution.
        pixels (Tensor | None): (B, R) or (R,) flat pixel indices ``row * W + col`` to keep; None
            keeps all H*W pixels in row-major order.

    Returns:
        tuple: origins (B, R, 3) and directions (B, R, 3) (camera-z component of length 1).
    """
    if c2w.dim() != 3 or c2w.shape[1:] != (3, 4):
        raise ValueError(f'generate_rays: expected (B, 3, 4) poses, got {tuple(c2w.shape)}')
    dirs = camera_directions(height, width, focal, device=c2w.device, dtype=c2w.dtype).reshape(-1, 3)
    dirs = dirs.expand(c2w.shape[0], -1, -1)
    if pixels is not None:
        pixels = pixels.expand(c2w.shape[0], -1) if pixels.dim() == 1 else pixels
        dirs = torch.gather(dirs, 1, pixels[..., None].expand(-1, -1, 3))
    rays_d = dirs @ c2w[:, :, :3].transpose(1, 2)
    rays_o = c2w[:, None, :, 3].expand_as(rays_d)
    return rays_o, rays_d
