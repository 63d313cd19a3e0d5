"""Alpha compositing of densities into per-sample weights (NeRF and NeRF-W static + transient)."""
from typing import Tuple

import torch
from torch import Tensor


def sample_intervals(depths: Tensor, last_delta: float = 100.0) -> Tensor:
    """``delta_i = t_{i+1} - t_i`` with the last interval set to ``last_delta`` (100 in NeFeS, not 1e10).

    Not multiplied by the ray-direction norm (NeFeS trap T11).

    Args:
        depths (Tensor): (R, S) sorted depths.

    Returns:
        Tensor: (R, S).
    """
    deltas = depths[:, 1:] - depths[:, :-1]
    return torch.cat([deltas, torch.full_like(depths[:, :1], last_delta)], dim=-1)


def _exclusive_transmittance(optical_depth: Tensor) -> Tensor:
    """``T_i = exp(-sum_{j<i} sigma_j delta_j)`` from (R, S) optical depths ``sigma * delta``."""
    acc = torch.cumsum(optical_depth, dim=-1)
    return torch.exp(-torch.cat([torch.zeros_like(acc[:, :1]), acc[:, :-1]], dim=-1))


def composite_weights(sigma: Tensor, deltas: Tensor) -> Tensor:
    """Static-only weights ``w_i = alpha_i T_i`` with ``alpha_i = 1 - exp(-delta_i sigma_i)``.

    Args:
        sigma (Tensor): (R, S) densities.
        deltas (Tensor): (R, S) intervals.

    Returns:
        Tensor: (R, S) weights; each row sums to at most 1.
    """
    tau = sigma * deltas
    return (1 - torch.exp(-tau)) * _exclusive_transmittance(tau)


def composite_weights_transient(sigma_s: Tensor, sigma_t: Tensor, deltas: Tensor) -> Tuple[Tensor, Tensor]:
    """NeRF-W composition: transmittance from ``sigma_s + sigma_t``, one weight set per component.

    Args:
        sigma_s (Tensor): (R, S) static densities.
        sigma_t (Tensor): (R, S) transient densities.
        deltas (Tensor): (R, S) intervals.

    Returns:
        tuple: static weights ``alpha^s_i T_i`` and transient weights ``alpha^t_i T_i``, both (R, S).
    """
    trans = _exclusive_transmittance((sigma_s + sigma_t) * deltas)
    return (1 - torch.exp(-sigma_s * deltas)) * trans, (1 - torch.exp(-sigma_t * deltas)) * trans


def integrate(weights: Tensor, values: Tensor) -> Tensor:
    """``sum_i w_i v_i`` over samples: (R, S) weights and (R, S, C) values -> (R, C)."""
    return (weights[..., None] * values).sum(dim=-2)
