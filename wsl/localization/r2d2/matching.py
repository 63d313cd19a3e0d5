"""Mutual-nearest-neighbour descriptor matching for localization (the Aachen challenge's matcher).

Descriptors are compared by dot product, which for L2-normalised descriptors ranks neighbours like
the Euclidean distance (``d² = 2 - 2·sim``). The similarity matrix is computed in row chunks, so two
images with 40K keypoints each never materialise the full 40K x 40K matrix at once; the column
maxima (needed for the "mutual" check) are accumulated across chunks.
"""
from typing import Callable, Dict, Iterable, Optional, Tuple

import numpy as np
import torch
from torch import Tensor


def match_mutual_nn(desc1: Tensor, desc2: Tensor, ratio: Optional[float] = None,
                    min_similarity: Optional[float] = None, chunk_size: int = 4096) -> Tensor:
    """Mutual nearest neighbours by maximal dot product, optionally with Lowe's ratio test.

    Args:
        desc1 (Tensor): (N1, D) descriptors of image 1 (L2-normalised for the ratio test to mean
            distances).
        desc2 (Tensor): (N2, D) descriptors of image 2, same device and dtype.
        ratio (float, optional): keep i -> j only when ``dist(i, j) < ratio * dist(i, j2)`` with j2 the
            second-nearest neighbour of i in image 2 and ``dist = sqrt(max(2 - 2·sim, 0))``. None
            disables the test (plain MNN). Rows with a single candidate pass.
        min_similarity (float, optional): keep only matches with dot product >= this value.
        chunk_size (int): rows of ``desc1`` per similarity block.

    Returns:
        Tensor: (K, 2) long index pairs ``(i, j)`` sorted by i, where j is the argmax of row i and i the
        argmax of column j (ties resolve to the lowest index).
    """
    if desc1.dim() != 2 or desc2.dim() != 2 or desc1.shape[1] != desc2.shape[1]:
        raise ValueError(f'match_mutual_nn expects (N1, D) and (N2, D) descriptors, got {tuple(desc1.shape)} and '
                         f'{tuple(desc2.shape)}')
    if ratio is not None and not 0 < ratio <= 1:
        raise ValueError(f'ratio must be in (0, 1], got {ratio}')
    if chunk_size < 1:
        raise ValueError(f'chunk_size must be >= 1, got {chunk_size}')
    n1, n2 = len(desc1), len(desc2)
    if n1 == 0 or n2 == 0:
        return torch.zeros((0, 2), dtype=torch.long, device=desc1.device)
    nn12 = torch.empty(n1, dtype=torch.long, device=desc1.device)
    best12 = torch.empty(n1, dtype=desc1.dtype, device=desc1.device)
    second12 = torch.full((n1, ), -float('inf'), dtype=desc1.dtype, device=desc1.device)
    col_best = torch.full((n2, ), -float('inf'), dtype=desc1.dtype, device=desc1.device)
    nn21 = torch.zeros(n2, dtype=torch.long, device=desc1.device)
    for start in range(0, n1, chunk_size):
        sim = desc1[start:start + chunk_size] @ desc2.t()
        top = sim.topk(min(2, n2), dim=1)
        nn12[start:start + len(sim)] = top.indices[:, 0]
        best12[start:start + len(sim)] = top.values[:, 0]
        if n2 > 1:
            second12[start:start + len(sim)] = top.values[:, 1]
        col_val, col_arg = sim.max(dim=0)
        better = col_val > col_best  # strict: an earlier chunk keeps ties (lowest index wins)
        col_best = torch.where(better, col_val, col_best)
        nn21 = torch.where(better, col_arg + start, nn21)
    ids1 = torch.arange(n1, device=desc1.device)
    keep = nn21[nn12] == ids1
    if ratio is not None:
        d1 = (2 - 2 * best12).clamp_min(0).sqrt()
        d2 = (2 - 2 * second12).clamp_min(0).sqrt()  # -inf similarity -> inf distance: passes
        keep &= d1 < ratio * d2
    if min_similarity is not None:
        keep &= best12 >= min_similarity
    return torch.stack([ids1[keep], nn12[keep]], dim=1)


def match_pairs(pairs: Iterable[Tuple[str, str]], load_descriptors: Callable[[str], np.ndarray],
                ratio: Optional[float] = None, min_similarity: Optional[float] = None,
                device: Optional[torch.device] = None, cache_size: int = 8) -> Dict[Tuple[str, str], np.ndarray]:
    """Match every listed image pair with :func:`match_mutual_nn`.

    Args:
        pairs: ``(name1, name2)`` pairs; the order of a pair is kept in the result.
        load_descriptors: ``name -> (N, D)`` float array.
        device: where to compute (default CPU).
        cache_size (int): descriptor arrays kept in memory (pairs sorted by their first image hit it most).

    Returns:
        dict: ``(name1, name2) -> (K, 2) int64`` keypoint index pairs.
    """
    cache: Dict[str, Tensor] = {}

    def get(name: str) -> Tensor:
        if name not in cache:
            if len(cache) >= cache_size:
                cache.pop(next(iter(cache)))
            cache[name] = torch.as_tensor(np.asarray(load_descriptors(name)), dtype=torch.float32, device=device)
        return cache[name]

    out = {}
    for a, b in pairs:
        out[(a, b)] = match_mutual_nn(get(a), get(b), ratio, min_similarity).cpu().numpy()
    return out
