"""NeFeS figures: camera trajectories (GT vs APR vs refined, the supplement's Figure 2) and feature maps.

Both write PNGs with matplotlib's Agg backend and return the data they drew, so callers and tests can check it.
"""
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import numpy as np

TRAJECTORY_COLORS = dict(gt=(0.0, 0.6, 0.0), pred=(0.85, 0.0, 0.0), refined=(0.0, 0.0, 0.85))


def _pyplot():
    import matplotlib
    matplotlib.use('Agg', force=False)
    import matplotlib.pyplot as plt
    return plt


def _centres(poses) -> np.ndarray:
    poses = np.asarray(poses, dtype=np.float64)
    if poses.ndim != 3 or poses.shape[1:] != (3, 4):
        raise ValueError(f'expected (N, 3, 4) camera-to-world poses, got shape {poses.shape}')
    return poses[:, :, 3]


def plot_trajectories(path: str, gt, pred, refined=None, axes: Sequence[int] = (0, 2),
                      title: Optional[str] = None, dpi: int = 100) -> Dict[str, np.ndarray]:
    """Top-down view of camera centres: ground truth (green line), APR predictions (red) and refined (blue).

    Thin grey segments join each prediction to its ground truth, so the error of every frame is visible.

    Args:
        path (str): output PNG.
        gt (array-like): (N, 3, 4) ground-truth camera-to-world poses.
        pred (array-like): (N, 3, 4) APR (initial) poses.
        refined (array-like | None): (N, 3, 4) refined poses.
        axes (Sequence[int]): the two world axes to plot (default x and z: the ground plane of a y-up frame).
        title (str | None): figure title.
        dpi (int): resolution.

    Returns:
        dict: the plotted 2-D points per series, ``gt`` / ``pred`` / ``refined`` (N, 2).
    """
    plt = _pyplot()
    series = dict(gt=_centres(gt)[:, list(axes)], pred=_centres(pred)[:, list(axes)])
    if refined is not None:
        series['refined'] = _centres(refined)[:, list(axes)]
    if any(len(v) != len(series['gt']) for v in series.values()):
        raise ValueError('plot_trajectories: gt, pred and refined must hold the same number of poses')
    fig, ax = plt.subplots(figsize=(5, 5), dpi=dpi)
    for key in ('pred', 'refined'):
        if key in series:
            for a, b in zip(series[key], series['gt']):
                ax.plot([a[0], b[0]], [a[1], b[1]], color=(0.75, 0.75, 0.75), linewidth=0.6, zorder=1)
    ax.plot(*series['gt'].T, '-o', color=TRAJECTORY_COLORS['gt'], markersize=3, linewidth=1.2, label='ground truth',
            zorder=2)
    labels = dict(pred='APR', refined='refined')
    for key in ('pred', 'refined'):
        if key in series:
            ax.scatter(*series[key].T, s=12, color=TRAJECTORY_COLORS[key], label=labels[key], zorder=3)
    names = 'xyz'
    ax.set_xlabel(f'{names[axes[0]]} (m)')
    ax.set_ylabel(f'{names[axes[1]]} (m)')
    ax.set_aspect('equal', adjustable='datalim')
    ax.legend(loc='best', fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return series


def features_to_rgb(maps: Sequence[np.ndarray]) -> list:
    """Map (C, H, W) feature maps to RGB with ONE shared 3-component PCA, so colours are comparable.

    Args:
        maps (Sequence[np.ndarray]): feature maps with the same C.

    Returns:
        list[np.ndarray]: (H, W, 3) images in [0, 1] (shared per-component min/max scaling).
    """
    maps = [np.asarray(m, dtype=np.float64) for m in maps]
    if not maps or any(m.ndim != 3 or m.shape[0] != maps[0].shape[0] for m in maps):
        raise ValueError('features_to_rgb: expected (C, H, W) maps with the same channel count')
    flat = np.concatenate([m.reshape(m.shape[0], -1).T for m in maps])
    mean = flat.mean(0)
    _, _, vt = np.linalg.svd(flat - mean, full_matrices=False)
    basis = vt[:3].T
    if basis.shape[1] < 3:
        basis = np.pad(basis, ((0, 0), (0, 3 - basis.shape[1])))
    proj = (flat - mean) @ basis
    lo, hi = proj.min(0), proj.max(0)
    proj = (proj - lo) / np.where(hi - lo > 1e-12, hi - lo, 1.0)
    out, start = [], 0
    for m in maps:
        n = m.shape[1] * m.shape[2]
        out.append(proj[start:start + n].reshape(m.shape[1], m.shape[2], 3))
        start += n
    return out


def plot_feature_maps(path: str, rendered, extracted, query=None, render_rgb=None,
                      titles: Optional[Sequence[str]] = None, dpi: int = 100) -> Dict[str, np.ndarray]:
    """Side by side: [query image] [rendered colour] rendered (fused) features | extracted (DFNet) features.

    Features are shown through a PCA basis shared by both maps (:func:`features_to_rgb`).

    Args:
        path (str): output PNG.
        rendered (array-like): (C, H, W) rendered/fused features.
        extracted (array-like): (C, H, W) features of the query image (same size).
        query (array-like | None): (3, H', W') query image in [0, 1].
        render_rgb (array-like | None): (3, H', W') rendered colour in [0, 1].
        titles (Sequence[str] | None): panel titles (default: query, NeFeS colour, NeFeS features, DFNet features).

    Returns:
        dict: ``rendered`` and ``extracted`` (H, W, 3) PCA images as drawn.
    """
    plt = _pyplot()
    rendered, extracted = np.asarray(rendered), np.asarray(extracted)
    if rendered.shape != extracted.shape:
        raise ValueError(f'plot_feature_maps: rendered {rendered.shape} and extracted {extracted.shape} differ')
    pca_r, pca_e = features_to_rgb([rendered, extracted])
    panels, names = [], []
    for img, name in ((query, 'query'), (render_rgb, 'NeFeS colour')):
        if img is not None:
            panels.append(np.clip(np.asarray(img, dtype=np.float64).transpose(1, 2, 0), 0, 1))
            names.append(name)
    panels += [pca_r, pca_e]
    names += ['NeFeS features', 'DFNet features']
    names = list(titles) if titles is not None else names
    fig, axs = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 2.4), dpi=dpi, squeeze=False)
    for ax, img, name in zip(axs[0], panels, names):
        ax.imshow(img, interpolation='nearest')
        ax.set_title(name, fontsize=9)
        ax.axis('off')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return dict(rendered=pca_r, extracted=pca_e)
