"""TCAM figure of a video (D2-Net Figs. 1 and 5): per-class activation over time, λ', ground truth, detections.

One panel per shown class, time in seconds on the x axis:
* the class's TCAM T[:, c] (solid) and, when given, the refined score r_c = λ'·T_c (dotted) and the bottom-up
  attention λ' (dashed, grey), all on [0, 1];
* ground-truth segments of the class as green spans along the top band;
* detections of the class as red bars below the curves, their height proportional to the score (as in Fig. 5,
  scores normalised by the largest detection score of the panel).
The figure is built with ``matplotlib.figure.Figure`` (no pyplot state), so callers and tests can read every
plotted array back from it.
"""
from typing import Dict, Optional, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

SNIPPET_SECONDS = 16 / 25  # a 16-frame snippet at 25 fps

# gid of each kind of artist, so the plotted data can be found again (tests, post-hoc editing)
GIDS = dict(tcam='tcam', refined='refined', lambda_prime='lambda_prime', gt='gt', detection='detection')


def _segments(d: Optional[dict], cls: int, with_scores: bool):
    if d is None:
        return np.zeros((0, 2)), np.zeros(0)
    segs = np.asarray(d.get('segments', np.zeros((0, 2))), np.float64).reshape(-1, 2)
    labels = np.asarray(d.get('labels', np.zeros(0)), np.int64).reshape(-1)
    if len(labels) != len(segs):
        raise ValueError(f'{len(segs)} segments but {len(labels)} labels')
    keep = labels == cls
    scores = np.asarray(d.get('scores', np.ones(len(segs))), np.float64).reshape(-1) if with_scores else None
    if with_scores and len(scores) != len(segs):
        raise ValueError(f'{len(segs)} detections but {len(scores)} scores')
    return segs[keep], (scores[keep] if with_scores else np.zeros(int(keep.sum())))


def plot_tcam(tcam: np.ndarray, class_names: Sequence[str], lambda_prime: Optional[np.ndarray] = None,
              gt: Optional[Dict[str, np.ndarray]] = None, detections: Optional[Dict[str, np.ndarray]] = None,
              classes: Optional[Sequence[int]] = None, snippet_seconds: float = SNIPPET_SECONDS,
              title: Optional[str] = None, out_file: Optional[str] = None, dpi: int = 110) -> Figure:
    """Draw the TCAM of one video.

    Args:
        tcam (ndarray): (T, C) class activations in [0, 1] (snippet t covers [t, t+1)·snippet_seconds).
        class_names (sequence): C names.
        lambda_prime (ndarray, optional): (T,) bottom-up attention λ'; also draws r_c = λ'·T_c.
        gt (dict, optional): ``segments`` (N, 2) seconds and ``labels`` (N,) class indices.
        detections (dict, optional): ``segments`` (M, 2) seconds, ``labels`` (M,), ``scores`` (M,).
        classes (sequence, optional): class indices to draw, one panel each; default the classes with
            ground truth or detections, else the class with the highest TCAM peak.
        snippet_seconds (float): seconds per snippet (0.64 for 16 frames at 25 fps).
        title (str, optional): figure title.
        out_file (str, optional): save the figure there (PNG).
        dpi (int): resolution of the saved image.

    Returns:
        matplotlib.figure.Figure: one axes per class; each artist carries a ``gid`` from :data:`GIDS`.
    """
    tcam = np.asarray(tcam, np.float64)
    if tcam.ndim != 2 or tcam.shape[1] != len(class_names):
        raise ValueError(f'tcam must be (T, C) with C = len(class_names) = {len(class_names)}, got {tcam.shape}')
    T = tcam.shape[0]
    lam = None
    if lambda_prime is not None:
        lam = np.asarray(lambda_prime, np.float64).reshape(-1)
        if lam.shape[0] != T:
            raise ValueError(f'lambda_prime has {lam.shape[0]} snippets, the TCAM {T}')
    if classes is None:
        shown = set()
        for d in (gt, detections):
            if d is not None:
                shown |= set(np.asarray(d.get('labels', []), np.int64).reshape(-1).tolist())
        classes = sorted(shown) if shown else [int(tcam.max(axis=0).argmax())] if T else [0]
    classes = [int(c) for c in classes]
    bad = [c for c in classes if not 0 <= c < tcam.shape[1]]
    if bad:
        raise ValueError(f'classes {bad} are outside [0, {tcam.shape[1]})')
    t = (np.arange(T) + 0.5) * snippet_seconds  # snippet centres
    fig = Figure(figsize=(10, 1.9 * len(classes) + 0.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(classes), 1, sharex=True, squeeze=False)[:, 0]
    for ax, c in zip(axes, classes):
        ax.plot(t, tcam[:, c], color='tab:blue', lw=1.2, label=f'T ({class_names[c]})', gid=GIDS['tcam'])
        if lam is not None:
            ax.plot(t, lam * tcam[:, c], color='tab:purple', lw=1.0, ls=':', label="r = λ'·T", gid=GIDS['refined'])
            ax.plot(t, lam, color='0.5', lw=0.8, ls='--', label="λ'", gid=GIDS['lambda_prime'])
        for s, e in _segments(gt, c, False)[0]:
            ax.axvspan(s, e, ymin=0.9, ymax=1.0, color='tab:green', alpha=0.8, lw=0, gid=GIDS['gt'])
        segs, scores = _segments(detections, c, True)
        top = scores.max() if len(scores) and scores.max() > 0 else 1.0
        for (s, e), sc in zip(segs, scores):
            h = 0.25 * max(sc, 0.0) / top
            ax.bar((s + e) / 2, h, width=e - s, bottom=-0.3, color='tab:red', alpha=0.6, gid=GIDS['detection'])
        ax.set_ylim(-0.32, 1.12)
        ax.set_xlim(0, max(T * snippet_seconds, 1e-6))
        ax.axhline(0, color='0.8', lw=0.5)
        ax.set_ylabel(class_names[c], fontsize=8)
        ax.legend(loc='upper right', fontsize=6, ncol=3, frameon=False, bbox_to_anchor=(1.0, 0.9))
    axes[-1].set_xlabel('time (s)  —  green: ground truth, red: detections (height ∝ score)')
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    if out_file:
        fig.savefig(out_file, dpi=dpi)
    return fig
