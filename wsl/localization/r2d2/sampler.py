"""R2D2's pixel sampler for the AP loss (official ``NghSampler2``).

For query pixels of image 1 it builds one row of similarities per query: positives in a disk of
radius ``pos_d`` around the ground-truth match in image 2, "near" negatives in the annulus
``neg_d <= r <= ngh``, and "far" distractors drawn at random in every image 2 of the batch.
"""
from typing import Dict, Optional, Tuple

import torch
from torch import Tensor, nn

from wsl.registry import TASK_UTILS


def disk_offsets(radius: float, step: int = 1, inner: float = 0.0, inclusive_inner: bool = True) -> Tensor:
    """Integer offsets (2, K) as (dx, dy), multiples of ``step``, with ``inner² <= dx²+dy² <= radius²``.

    ``inclusive_inner=False`` makes the inner bound strict. Order: dy outer, dx inner, ascending.
    """
    r = int(radius) // step * step
    rng = torch.arange(-r, r + 1, step)
    dy, dx = torch.meshgrid(rng, rng, indexing='ij')
    d2 = dx**2 + dy**2
    keep = (d2 <= radius**2) & ((d2 >= inner**2) if inclusive_inner else (d2 > inner**2))
    return torch.stack([dx[keep], dy[keep]])


@TASK_UTILS.register_module()
class R2D2NghSampler(nn.Module):
    """Neighbourhood sampler (defaults: the official ``NghSampler2`` string of ``train.py``).

    Args:
        ngh (int): outer radius of the near negatives.
        subq (int): query step; > 0 a regular grid, < 0 ``(H-2b)(W-2b)/subq²`` random positions
            (the same positions in every image of the batch).
        subd (int): step of the positive/negative offsets.
        pos_d (int): radius of the positive disk (29 offsets for 3).
        neg_d (int): inner radius of the near-negative annulus (80 offsets for 5..7).
        border (int): queries keep this far from image 1's border.
        subd_neg (int): distractor step like ``subq`` (0 = no distractors).
        maxpool_pos (bool): keep only the best positive per query (and average its reliability).
    """

    def __init__(self, ngh: int = 7, subq: int = -8, subd: int = 1, pos_d: int = 3, neg_d: int = 5,
                 border: Optional[int] = 16, subd_neg: int = -8, maxpool_pos: bool = True) -> None:
        super().__init__()
        if not 0 <= pos_d < neg_d <= ngh:
            raise ValueError(f'R2D2NghSampler needs 0 <= pos_d < neg_d <= ngh, got {pos_d}, {neg_d}, {ngh}')
        if subq == 0 or subd < 1 or subd > ngh:
            raise ValueError(f'R2D2NghSampler: subq must be non-zero and 1 <= subd <= ngh, got {subq}, {subd}')
        border = ngh if border is None else border
        if border < ngh:
            raise ValueError(f'R2D2NghSampler: border ({border}) must be >= ngh ({ngh})')
        self.ngh, self.subq, self.subd_neg, self.border = ngh, subq, subd_neg, border
        self.pos_d, self.neg_d, self.maxpool_pos = pos_d, neg_d, maxpool_pos
        self.register_buffer('pos_offsets', disk_offsets(pos_d, subd), persistent=False)
        self.register_buffer('neg_offsets', disk_offsets(ngh, subd, inner=neg_d), persistent=False)

    def positions(self, step: int, batch: int, height: int, width: int, device: torch.device,
                  generator: Optional[torch.Generator] = None) -> Tuple[Tensor, Tensor, Tensor, Tuple[int, int]]:
        """Sample pixel positions ``(b, y, x)`` (each (B*n,)) and the per-image count shape ``(B, n)``."""
        b0, lo = self.border, self.border
        if step > 0:
            ys = torch.arange(lo, height - b0, step, device=device)
            xs = torch.arange(lo, width - b0, step, device=device)
            y, x = (t.reshape(-1) for t in torch.meshgrid(ys, xs, indexing='ij'))
        else:
            n = (height - 2 * b0) * (width - 2 * b0) // step**2
            if n <= 0:
                raise ValueError(f'R2D2NghSampler: a {width}x{height} image leaves no room inside a {b0}-px border')
            x = torch.randint(lo, width - b0, (n, ), device=device, generator=generator)
            y = torch.randint(lo, height - b0, (n, ), device=device, generator=generator)
        n = len(x)
        b = torch.arange(batch, device=device).repeat_interleave(n)
        return b, y.repeat(batch), x.repeat(batch), (batch, n)

    def forward(self, desc1: Tensor, desc2: Tensor, aflow: Tensor, rel1: Optional[Tensor] = None,
                rel2: Optional[Tensor] = None, generator: Optional[torch.Generator] = None) -> Dict[str, Tensor]:
        """Build the AP rows.

        Args:
            desc1, desc2 (Tensor): (B, D, H, W) unit descriptors of images 1 and 2.
            aflow (Tensor): (B, 2, H, W) absolute flow 1 -> 2 (NaN = no match).
            rel1, rel2 (Tensor, optional): (B, 1, H, W) reliability maps, for ``qconf``.

        Returns:
            dict: ``scores`` (Q, M) similarities, ``labels`` (Q, M) bool (positives first),
            ``mask`` (Q,) bool (the match lies inside image 2), ``qconf`` (Q,) query reliability or
            None, ``query_xy`` (Q, 2) and ``pos_xy`` (Q, P, 2) the positives' pixels in image 2,
            with ``Q = B*n``, and ``distractor_xy`` (K, 2) / ``distractor_batch`` (K,) the far
            distractors (K = 0 without them).
        """
        B, _, H, W = desc1.shape
        H2, W2 = desc2.shape[-2:]
        if aflow.shape != (B, 2, H, W):
            raise ValueError(f'R2D2NghSampler: aflow {tuple(aflow.shape)} does not match desc1 {tuple(desc1.shape)}')
        b1, y1, x1, _ = self.positions(self.subq, B, H, W, desc1.device, generator)
        f1 = desc1[b1, :, y1, x1]  # (Q, D)
        flow = aflow[b1, :, y1, x1]  # (Q, 2)
        finite = torch.isfinite(flow).all(dim=1)
        # round like the official int cast of (flow + 0.5); NaN is sent far away explicitly
        xy2 = torch.where(finite[:, None], flow, flow.new_tensor(-1e6)).add(0.5).long()  # (Q, 2)
        mask = finite & (xy2[:, 0] >= 0) & (xy2[:, 1] >= 0) & (xy2[:, 0] < W2) & (xy2[:, 1] < H2)

        def gather(offsets: Tensor) -> Tuple[Tensor, Tensor]:
            pts = xy2[:, None, :] + offsets.t()[None]  # (Q, K, 2)
            px, py = pts[..., 0].clamp(0, W2 - 1), pts[..., 1].clamp(0, H2 - 1)
            feats = desc2[b1[:, None], :, py, px]  # (Q, K, D)
            return (feats * f1[:, None]).sum(dim=-1), torch.stack([px, py], dim=-1)

        pscores, pos_xy = gather(self.pos_offsets)
        qconf = rel1[b1, 0, y1, x1] if rel1 is not None else None
        if self.maxpool_pos:
            pscores, best = pscores.max(dim=1, keepdim=True)
            pos_xy = pos_xy.gather(1, best[..., None].expand(-1, -1, 2))
            if qconf is not None and rel2 is not None:
                qconf = (qconf + rel2[b1, 0, pos_xy[:, 0, 1], pos_xy[:, 0, 0]]) / 2
        nscores, _ = gather(self.neg_offsets)
        parts = [pscores, nscores]
        b3 = x3 = y3 = torch.zeros(0, dtype=torch.long, device=desc1.device)
        if self.subd_neg:
            b3, y3, x3, _ = self.positions(self.subd_neg, B, H2, W2, desc2.device, generator)
            dscores = f1 @ desc2[b3, :, y3, x3].t()  # (Q, B*n)
            d2 = (x3[None] - xy2[:, :1])**2 + (y3[None] - xy2[:, 1:])**2
            near_match = (d2 < self.neg_d**2) & (b3[None] == b1[:, None])
            parts.append(torch.where(near_match, torch.zeros_like(dscores), dscores))  # official quirk: kept as 0
        scores = torch.cat(parts, dim=1)
        labels = torch.zeros_like(scores, dtype=torch.bool)
        labels[:, :pscores.shape[1]] = True
        return dict(scores=scores, labels=labels, mask=mask, qconf=qconf,
                    query_xy=torch.stack([x1, y1], dim=1), pos_xy=pos_xy,
                    distractor_xy=torch.stack([x3, y3], dim=1), distractor_batch=b3)
