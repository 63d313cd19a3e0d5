"""Mean matching accuracy (MMA) on homography pairs, the D2-Net HPatches protocol.

Per pair: mutual-nearest-neighbour matching on the dot product of L2-normalised descriptors,
image-1 keypoints projected by the ground-truth homography, and the pair's accuracy at threshold t
is the fraction of matches whose reprojection error is <= t px (0 for a pair without matches).
MMA(t) is the mean of the per-pair accuracies (not a pooled ratio).
"""
from typing import Callable, Dict, Iterable, List, Optional, Sequence

import numpy as np
import torch

MMA_THRESHOLDS = tuple(range(1, 11))  # 1..10 px


def mutual_nn_match(desc1: torch.Tensor, desc2: torch.Tensor) -> torch.Tensor:
    """Mutual nearest neighbours by maximal dot product.

    Args:
        desc1 (Tensor): (N1, D) descriptors; desc2 (Tensor): (N2, D).

    Returns:
        Tensor: (K, 2) long index pairs ``(i, j)`` with j = argmax_j <d1_i, d2_j> and i = argmax_i <d1_i, d2_j>.
    """
    if len(desc1) == 0 or len(desc2) == 0:
        return torch.zeros((0, 2), dtype=torch.long, device=desc1.device)
    sim = desc1 @ desc2.t()
    nn12 = sim.argmax(dim=1)
    nn21 = sim.argmax(dim=0)
    ids1 = torch.arange(len(desc1), device=desc1.device)
    keep = nn21[nn12] == ids1
    return torch.stack([ids1[keep], nn12[keep]], dim=1)


def project_homography(points: np.ndarray, H: np.ndarray) -> np.ndarray:
    """Apply the 3x3 homography ``H`` to (N, 2) points (x, y) and dehomogenise."""
    ph = np.concatenate([points, np.ones((len(points), 1))], axis=1) @ H.T
    return ph[:, :2] / ph[:, 2:3]


def pair_accuracy(kp1: np.ndarray, kp2: np.ndarray, matches: np.ndarray, H: np.ndarray,
                  thresholds: Sequence[float] = MMA_THRESHOLDS) -> np.ndarray:
    """Fraction of matches with reprojection error <= t, per threshold; zeros without matches.

    Args:
        kp1, kp2 (ndarray): (N1, >=2), (N2, >=2) keypoints, columns x, y first.
        matches (ndarray): (K, 2) index pairs.
        H (ndarray): (3, 3) homography image 1 -> image 2.

    Returns:
        ndarray: (T,) accuracies.
    """
    if len(matches) == 0:
        return np.zeros(len(thresholds))
    proj = project_homography(kp1[matches[:, 0], :2].astype(np.float64), H)
    dist = np.linalg.norm(proj - kp2[matches[:, 1], :2], axis=1)
    return np.array([(dist <= t).mean() for t in thresholds])


def top_k_features(feats: Dict[str, np.ndarray], top_k: Optional[int]) -> Dict[str, np.ndarray]:
    """Keep the ``top_k`` best-scored keypoints (``keypoints``, ``descriptors``, ``scores``); all when None/0."""
    if not top_k or len(feats['scores']) <= top_k:
        return feats
    ids = np.argsort(-np.asarray(feats['scores']), kind='stable')[:top_k]
    return {k: (v[ids] if k in ('keypoints', 'descriptors', 'scores') else v) for k, v in feats.items()}


def summarize_mma(acc: Dict[str, List[np.ndarray]],
                  thresholds: Sequence[float] = MMA_THRESHOLDS) -> Dict[str, object]:
    """Mean of per-pair accuracies, overall and per split.

    Args:
        acc (dict): ``{'i': [...], 'v': [...]}`` lists of (T,) per-pair accuracies (illumination / viewpoint).

    Returns:
        dict: ``thresholds``, ``mma``/``mma_i``/``mma_v`` (lists per threshold; None for an empty split) and
        ``num_pairs``/``num_pairs_i``/``num_pairs_v``.
    """
    every = list(acc.get('i', [])) + list(acc.get('v', []))
    if not every:
        raise ValueError('MMA: no pairs given')

    def mean(a):
        return np.mean(a, axis=0).tolist() if len(a) else None

    return dict(thresholds=list(thresholds), mma=mean(every), mma_i=mean(acc.get('i', [])),
                mma_v=mean(acc.get('v', [])), num_pairs=len(every), num_pairs_i=len(acc.get('i', [])),
                num_pairs_v=len(acc.get('v', [])))


def hpatches_mma(pairs: Iterable[dict], load_features: Callable[[str], Dict[str, np.ndarray]],
                 thresholds: Sequence[float] = MMA_THRESHOLDS, top_k: Optional[int] = None) -> Dict[str, object]:
    """MMA over HPatches pairs, overall and per split.

    Args:
        pairs: from :func:`~.hpatches.list_hpatches_pairs` (``name1``, ``name2``, ``kind``, ``H``).
        load_features: ``name -> dict(keypoints (N, >=2), descriptors (N, D), scores (N,))``.
        top_k: keep the best-scored keypoints only (the notebook's option).

    Returns:
        dict: ``thresholds``, ``mma``/``mma_i``/``mma_v`` (lists per threshold; None for an empty
        split), ``num_pairs``/``num_pairs_i``/``num_pairs_v``, ``mean_matches`` and ``mean_features``.
    """
    acc: Dict[str, List[np.ndarray]] = dict(i=[], v=[])
    n_matches, n_feats = [], []
    cache: Dict[str, Dict[str, np.ndarray]] = {}
    for p in pairs:
        if p['name1'] not in cache:  # image 1 is shared by the five pairs of a sequence
            cache = {p['name1']: top_k_features(load_features(p['name1']), top_k)}
        f = [cache[p['name1']], top_k_features(load_features(p['name2']), top_k)]
        matches = mutual_nn_match(torch.from_numpy(f[0]['descriptors']).float(),
                                  torch.from_numpy(f[1]['descriptors']).float()).numpy()
        acc[p['kind']].append(pair_accuracy(f[0]['keypoints'], f[1]['keypoints'], matches, p['H'], thresholds))
        n_matches.append(len(matches))
        n_feats += [len(f[0]['keypoints']), len(f[1]['keypoints'])]
    if not n_matches:
        raise ValueError('hpatches_mma: no pairs given')
    return dict(summarize_mma(acc, thresholds), mean_matches=float(np.mean(n_matches)),
                mean_features=float(np.mean(n_feats)))
