"""A built-in unsupervised mask-proposal source: hierarchical merges of Felzenszwalb superpixels.

This is **not MCG** (no contour detector, no learned ranking); it stands in for the precomputed MCG
proposals when they are unavailable (synthetic data, new datasets). It follows Selective Search's
hierarchical grouping (Uijlings et al., IJCV 2013): a Felzenszwalb–Huttenlocher over-segmentation
(``skimage.segmentation.felzenszwalb``) at several scales, then, per scale and per similarity strategy,
greedy merging of the most similar *adjacent* pair of regions until one region is left. Every region that
ever exists (the superpixels and each merge result) is a proposal. Similarities, each in [0, 1]:

* ``color``: histogram intersection of the regions' normalised per-channel colour histograms;
* ``size``: 1 − (|a| + |b|) / |image| (merges small regions first);
* ``fill``: 1 − (|bbox(a ∪ b)| − |a| − |b|) / |image| (prefers regions that fit together).

To express all proposals as unions of one superpixel map (the MCG layout that :mod:`.mcg` consumes), the
superpixel map is the intersection (common refinement) of the base segmentations of all scales.
"""
import heapq
from typing import Dict, Optional, Sequence

import numpy as np

from .mcg import Proposals

BUILTIN_PROPOSAL_DEFAULTS = dict(
    scales=(25, 75, 200),   # Felzenszwalb scale k per base segmentation (one hierarchy each)
    sigma=0.5,              # Gaussian pre-smoothing of Felzenszwalb
    min_size=10,            # Felzenszwalb minimum component size (pixels)
    strategies=(('color', 'size', 'fill'), ('size', 'fill')),  # similarity terms, one hierarchy per entry
    color_bins=25,          # histogram bins per channel (Selective Search)
)


def builtin_proposal_config(**overrides) -> dict:
    """:data:`BUILTIN_PROPOSAL_DEFAULTS` updated with ``overrides`` (checked)."""
    unknown = sorted(set(overrides) - set(BUILTIN_PROPOSAL_DEFAULTS))
    if unknown:
        raise KeyError(f'builtin_proposal_config: unknown keys {unknown}; expected some of '
                       f'{sorted(BUILTIN_PROPOSAL_DEFAULTS)}')
    cfg = dict(BUILTIN_PROPOSAL_DEFAULTS, **overrides)
    for strat in cfg['strategies']:
        if not strat or set(strat) - {'color', 'size', 'fill'}:
            raise ValueError(f"builtin proposals: each strategy must be a non-empty subset of ('color', 'size', "
                             f"'fill'), got {strat!r}")
    return cfg


def _adjacent_pairs(seg: np.ndarray) -> np.ndarray:
    """(P, 2) sorted unique pairs of 4-adjacent labels."""
    pairs = [np.stack([seg[:, :-1].ravel(), seg[:, 1:].ravel()], 1), np.stack([seg[:-1].ravel(), seg[1:].ravel()], 1)]
    pairs = np.concatenate(pairs)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.unique(np.sort(pairs, 1), axis=0)


def _hierarchy(seg: np.ndarray, image: np.ndarray, strategy: Sequence[str], bins: int) -> list:
    """Regions (as arrays of base labels) of one greedy merge hierarchy over the labels of ``seg``."""
    n = int(seg.max()) + 1
    total = float(seg.size)
    flat = seg.ravel()
    size = np.bincount(flat, minlength=n).astype(np.float64)
    hist = np.zeros((n, 3 * bins))
    for ch in range(3):
        b = np.minimum(image[..., ch].ravel().astype(np.int64) * bins // 256, bins - 1)
        hist[:, ch * bins:(ch + 1) * bins] = np.bincount(flat * bins + b, minlength=n * bins).reshape(n, bins)
    hist /= np.maximum(hist.sum(1, keepdims=True), 1)
    ys, xs = np.indices(seg.shape)
    bbox = np.stack([np.full(n, seg.shape[1]), np.full(n, seg.shape[0]), np.full(n, -1), np.full(n, -1)], 1)
    np.minimum.at(bbox[:, 0], flat, xs.ravel())
    np.minimum.at(bbox[:, 1], flat, ys.ravel())
    np.maximum.at(bbox[:, 2], flat, xs.ravel())
    np.maximum.at(bbox[:, 3], flat, ys.ravel())
    regions: Dict[int, dict] = {i: dict(size=size[i], hist=hist[i], bbox=bbox[i].astype(np.float64),
                                        members=[i], nbrs=set()) for i in range(n) if size[i] > 0}
    for a, b in _adjacent_pairs(seg):
        regions[a]['nbrs'].add(b)
        regions[b]['nbrs'].add(a)

    def sim(a: dict, b: dict) -> float:
        s = 0.0
        if 'color' in strategy:
            s += float(np.minimum(a['hist'], b['hist']).sum()) / 3.0
        if 'size' in strategy:
            s += 1.0 - (a['size'] + b['size']) / total
        if 'fill' in strategy:
            x1, y1 = min(a['bbox'][0], b['bbox'][0]), min(a['bbox'][1], b['bbox'][1])
            x2, y2 = max(a['bbox'][2], b['bbox'][2]), max(a['bbox'][3], b['bbox'][3])
            s += 1.0 - ((x2 - x1 + 1) * (y2 - y1 + 1) - a['size'] - b['size']) / total
        return s

    heap = [(-sim(regions[a], regions[b]), a, b) for a in regions for b in regions[a]['nbrs'] if a < b]
    heapq.heapify(heap)
    out = [np.asarray(r['members']) for r in regions.values()]
    next_id = n
    while heap:
        _, a, b = heapq.heappop(heap)
        if a not in regions or b not in regions:
            continue  # stale entry: one side was merged already
        ra, rb = regions.pop(a), regions.pop(b)
        s = ra['size'] + rb['size']
        new = dict(size=s, hist=(ra['hist'] * ra['size'] + rb['hist'] * rb['size']) / s,
                   bbox=np.concatenate([np.minimum(ra['bbox'][:2], rb['bbox'][:2]),
                                        np.maximum(ra['bbox'][2:], rb['bbox'][2:])]),
                   members=ra['members'] + rb['members'], nbrs=(ra['nbrs'] | rb['nbrs']) - {a, b})
        for nb in new['nbrs']:
            regions[nb]['nbrs'] -= {a, b}
            regions[nb]['nbrs'].add(next_id)
        regions[next_id] = new
        for nb in new['nbrs']:
            heapq.heappush(heap, (-sim(new, regions[nb]), min(next_id, nb), max(next_id, nb)))
        out.append(np.asarray(new['members']))
        next_id += 1
    return out


def builtin_proposals(image: np.ndarray, cfg: Optional[dict] = None) -> Proposals:
    """Hierarchical superpixel-merge proposals of an image (see the module docstring).

    Args:
        image (np.ndarray): (H, W, 3) uint8.
        cfg (dict, optional): :data:`BUILTIN_PROPOSAL_DEFAULTS` keys.

    Returns:
        Proposals: ``superpixels`` (H, W) with ids from 1 (the common refinement of all scales) and the
        deduplicated proposals as superpixel-id lists; ``source='builtin'``.
    """
    from skimage.segmentation import felzenszwalb

    cfg = builtin_proposal_config(**(cfg or {}))
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'builtin_proposals: image must be (H, W, 3) uint8, got {image.shape} {image.dtype}')
    segs = [felzenszwalb(image, scale=float(k), sigma=cfg['sigma'], min_size=int(cfg['min_size']))
            for k in cfg['scales']]
    # common refinement: one cell per distinct tuple of base labels
    _, cells = np.unique(np.stack([s.ravel() for s in segs], 1), axis=0, return_inverse=True)
    cells = cells.reshape(image.shape[:2]).astype(np.int64)
    num_cells = int(cells.max()) + 1
    seen, labels = set(), []
    for seg in segs:
        # the cells of each base label (every cell lies in exactly one base segment)
        base_of_cell = np.zeros(num_cells, dtype=np.int64)
        base_of_cell[cells.ravel()] = seg.ravel()
        order = np.argsort(base_of_cell, kind='stable')
        starts = np.searchsorted(base_of_cell[order], np.arange(int(seg.max()) + 2))
        cells_of = [order[starts[i]:starts[i + 1]] for i in range(int(seg.max()) + 1)]
        for strat in cfg['strategies']:
            for region in _hierarchy(seg, image, strat, int(cfg['color_bins'])):
                ids = np.sort(np.concatenate([cells_of[r] for r in region])) + 1
                key = ids.tobytes()
                if key not in seen:
                    seen.add(key)
                    labels.append(ids)
    return Proposals(cells + 1, labels, source='builtin')
