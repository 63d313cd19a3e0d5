"""HPatches-sequences reader (the layout of ``hpatches-sequences-release``).

Each sequence folder ``{i,v}_<name>/`` holds images ``1.ppm`` .. ``6.ppm`` and the ground-truth
homographies ``H_1_2`` .. ``H_1_6`` (3x3 text, mapping pixels of image 1 to image k). The D2-Net
protocol drops eight high-resolution sequences and uses the pairs (1, k), k = 2..6: 540 pairs over
108 sequences (52 illumination ``i_*``, 56 viewpoint ``v_*``).
"""
import os
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np

# Sequences the D2-Net protocol excludes (high resolution).
HPATCHES_HIGH_RES = ('i_contruction', 'i_crownnight', 'i_dc', 'i_pencils', 'i_whitebuilding', 'v_artisans',
                     'v_astronautis', 'v_talent')


def read_homography(path: str) -> np.ndarray:
    """A 3x3 homography from a whitespace-separated text file, as float64."""
    try:
        h = np.loadtxt(path, dtype=np.float64)
    except (OSError, ValueError) as e:
        raise ValueError(f'{path}: cannot read a 3x3 homography ({e})') from None
    if h.shape != (3, 3) or not np.isfinite(h).all():
        raise ValueError(f'{path}: expected 3x3 finite numbers, got shape {h.shape}')
    return h


def list_hpatches_pairs(root: str, exclude: Sequence[str] = HPATCHES_HIGH_RES, ext: str = '.ppm',
                        num_images: int = 6) -> List[Dict[str, object]]:
    """All (1, k) pairs of the sequences under ``root``.

    Returns:
        list: per pair a dict with ``sequence``, ``kind`` ('i' or 'v'), ``index`` k, ``image1``,
        ``image2`` (paths), ``name1``/``name2`` (``<seq>/<n><ext>``, relative to ``root``) and
        ``H`` (3, 3) float64 mapping image-1 pixels to image-k pixels. Sorted by sequence, then k.
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f'HPatches root not found: {root}')
    pairs = []
    for seq in sorted(os.listdir(root)):
        if not osp.isdir(osp.join(root, seq)) or seq in exclude:
            continue
        if seq[:2] not in ('i_', 'v_'):
            raise ValueError(f'{osp.join(root, seq)}: HPatches sequence names start with "i_" or "v_"')
        for k in range(2, num_images + 1):
            files = [osp.join(root, seq, f'1{ext}'), osp.join(root, seq, f'{k}{ext}'), osp.join(root, seq, f'H_1_{k}')]
            for f in files:
                if not osp.isfile(f):
                    raise FileNotFoundError(f'HPatches sequence {seq}: missing {f}')
            pairs.append(dict(sequence=seq, kind=seq[0], index=k, image1=files[0], image2=files[1],
                              name1=f'{seq}/1{ext}', name2=f'{seq}/{k}{ext}', H=read_homography(files[2])))
    if not pairs:
        raise FileNotFoundError(f'no HPatches sequences (i_*/v_* folders) under {root}')
    return pairs
