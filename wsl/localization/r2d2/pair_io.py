"""Small pieces the R2D2 pair datasets share: pair-list files, per-item RNGs, the official 'no pair' placeholder
and the packing of a pair into the model's input format."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.structures import BaseDataElement

from .synthetic_pairs import synthetic_pair


def read_pair_list(ann_file: str, data_root: str, counts: Sequence[int], usage: str) -> List[List[str]]:
    """Read a pair list: one pair per line, whitespace-separated paths relative to ``data_root``, ``#`` comments.

    Args:
        ann_file (str): the list file.
        data_root (str): folder the paths are relative to.
        counts: allowed numbers of fields per line (e.g. ``(3, 4)``).
        usage (str): the line format for error messages (e.g. ``'img1 img2 flow [mask]'``).

    Returns:
        list: per pair, the joined paths; every file exists (else ``FileNotFoundError`` naming the line).
    """
    pairs = []
    with open(ann_file) as f:
        for num, line in enumerate(f, 1):
            fields = line.split('#', 1)[0].split()
            if not fields:
                continue
            if len(fields) not in counts:
                raise ValueError(f'{ann_file}:{num}: expected "{usage}", got {line.strip()!r}')
            paths = [osp.join(data_root, p) for p in fields]
            for p in paths:
                if not osp.isfile(p):
                    raise FileNotFoundError(f'{ann_file}:{num}: file not found: {p}')
            pairs.append(paths)
    return pairs


def black_pair(crop: int) -> Dict[str, np.ndarray]:
    """What the official loader serves when no pair can be made: black images and an all-NaN flow (and homography)."""
    return dict(img1=np.zeros((crop, crop, 3), np.uint8), img2=np.zeros((crop, crop, 3), np.uint8),
                aflow=np.full((2, crop, crop), np.nan, np.float32), H=np.full((3, 3), np.nan))


def item_rng(seed: Optional[int], idx: int) -> np.random.Generator:
    """The RNG of item ``idx``: fixed by ``(seed, idx)`` when ``seed`` is given, else drawn from torch's RNG (which
    MMEngine seeds per dataloader worker)."""
    return np.random.default_rng([seed, idx] if seed is not None else int(torch.randint(0, 2**62, (1, ))))


def draw_synthetic_pair(img: np.ndarray, rng: np.random.Generator, cfg: dict, max_draws: int, crop: int,
                        img2: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """:func:`~.synthetic_pairs.synthetic_pair` retried up to ``max_draws`` times; then :func:`black_pair`."""
    for _ in range(max_draws):
        pair = synthetic_pair(img, rng, img2=img2, **cfg)
        if pair is not None:
            return pair
    return black_pair(crop)


def pack_pair(pair: Dict[str, np.ndarray], **metainfo) -> dict:
    """``dict(inputs=(2, 3, crop, crop) uint8 RGB, data_samples=BaseDataElement(aflow=(2, crop, crop)))`` from a pair
    dict with ``img1``, ``img2`` (crop, crop, 3) and ``aflow`` (2, crop, crop)."""
    imgs = torch.from_numpy(np.stack([pair['img1'], pair['img2']])).permute(0, 3, 1, 2).contiguous()
    return dict(inputs=imgs, data_samples=BaseDataElement(aflow=torch.from_numpy(pair['aflow']), metainfo=metainfo))
