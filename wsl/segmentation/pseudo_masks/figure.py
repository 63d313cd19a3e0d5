"""The paper's Figure 5 for one image: boxes and their BBAMs in matching colours, plus the final pseudo masks.

Three panels: (a) the image with the GT boxes, (b) every box's BBAM overlaid in the box's colour (opacity ∝
attribution; Fig. 5: "each BBAM corresponds to the box of the same colour"), (c) the strict masks filled and
outlined in the same colours, the ignore band (loose \\ strict) hatched. Rendered with matplotlib's Agg
canvas (no pyplot state, no display needed).
"""
from typing import Optional, Sequence

import numpy as np

_COLORS = np.array([[230, 25, 75], [60, 180, 75], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240],
                    [240, 50, 230], [210, 245, 60], [250, 190, 190], [0, 128, 128]], dtype=np.float64) / 255.0


def box_colors(n: int) -> np.ndarray:
    """(n, 3) RGB colours in [0, 1], cycling a 10-colour qualitative palette."""
    return _COLORS[np.arange(n) % len(_COLORS)]


def bbam_figure(image: np.ndarray, boxes: np.ndarray, maps: np.ndarray, strict: np.ndarray,
                loose: Optional[np.ndarray] = None, labels: Optional[np.ndarray] = None,
                classes: Optional[Sequence[str]] = None, out_path: Optional[str] = None, title: str = '',
                dpi: int = 120):
    """Draw (and optionally save) the BBAM figure of one image.

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB.
        boxes (np.ndarray): (N, 4) (x1, y1, x2, y2), 0-based inclusive pixels.
        maps (np.ndarray): (N, H, W) BBAMs in [0, 1] (each normalised by its max for display).
        strict (np.ndarray): (N, H, W) bool final masks.
        loose (np.ndarray, optional): (N, H, W) bool loose masks (ignore band = loose & ~strict).
        labels (np.ndarray, optional): (N,) class indices for the box captions.
        classes (Sequence[str], optional): class names.
        out_path (str, optional): save a PNG here.
        title (str): figure title.
        dpi (int): resolution of the saved PNG.

    Returns:
        matplotlib.figure.Figure: the figure.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    image = np.asarray(image)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    maps, strict = np.asarray(maps, dtype=np.float64), np.asarray(strict, dtype=bool)
    n = len(boxes)
    if maps.shape[0] != n or strict.shape[0] != n or maps.shape[1:] != image.shape[:2] \
            or strict.shape[1:] != image.shape[:2]:
        raise ValueError(f'bbam_figure: expected {n} maps and masks of size {image.shape[:2]}, got {maps.shape} '
                         f'and {strict.shape}')
    colors = box_colors(n)
    h, w = image.shape[:2]
    fig = Figure(figsize=(12, 4.4 * h / max(w, 1) + 0.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3)
    base = image.astype(np.float64) / 255.0

    heat = base * 0.45
    for i in range(n):
        m = maps[i] / maps[i].max() if maps[i].max() > 0 else maps[i]
        heat = heat * (1 - m[..., None]) + colors[i] * m[..., None]
    fill = base.copy()
    for i in range(n):
        fill[strict[i]] = 0.45 * fill[strict[i]] + 0.55 * colors[i]
    panels = [(base, '(a) image and boxes'), (heat, '(b) BBAM per box'), (fill, '(c) pseudo masks')]
    for ax, (img, name) in zip(axes, panels):
        ax.imshow(np.clip(img, 0, 1), interpolation='nearest')
        ax.set_title(name, fontsize=10)
        ax.set_axis_off()
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        for ax in axes[:2]:
            ax.add_patch(Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1 + 1, y2 - y1 + 1, fill=False, lw=1.8,
                                   edgecolor=colors[i]))
        if labels is not None:
            name = classes[int(labels[i])] if classes is not None else str(int(labels[i]))
            axes[0].text(x1, y1 - 2, name, color='white', fontsize=8, va='bottom',
                         bbox=dict(facecolor=colors[i], edgecolor='none', pad=1.0))
        if strict[i].any():
            axes[2].contour(strict[i].astype(float), levels=[0.5], colors=[colors[i]], linewidths=1.5)
        if loose is not None:
            band = np.asarray(loose[i], dtype=bool) & ~strict[i]
            if band.any():
                axes[2].contourf(band.astype(float), levels=[0.5, 1.5], colors='none', hatches=['////'])
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    if out_path:
        import os
        import os.path as osp
        os.makedirs(osp.dirname(osp.abspath(out_path)), exist_ok=True)
        fig.savefig(out_path, dpi=dpi)
    return fig
