"""Small pieces the R2D2 pair datasets share: pair-list files and the official 'no pair' placeholder."""
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np


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
