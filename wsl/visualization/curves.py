"""Training curves: from MMEngine's ``vis_data/scalars.json`` logs, or from measured (x, y) series."""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def read_scalars(work_dir: str) -> List[dict]:
    """All records of the newest ``<work_dir>/<timestamp>/vis_data/scalars.json`` (one dict per logged step)."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(f"no '*/vis_data/scalars.json' under '{work_dir}' (was the run logged?)")
    with open(files[-1]) as f:
        return [json.loads(line) for line in f if line.strip()]


def plot_curves(runs: Dict[str, str], keys: Sequence[str], out_file: str) -> str:
    """Plot ``keys`` (e.g. ``('loss',)``) against the iteration for each ``{label: work_dir}`` run into ``out_file``."""
    logs = {label: read_scalars(wd) for label, wd in runs.items()}  # each log read once
    panels = {}
    for key in keys:
        panels[key] = {}
        for label, records in logs.items():
            recs = [r for r in records if key in r and 'iter' in r]
            panels[key][label] = ([r['iter'] for r in recs], [r[key] for r in recs])
    return plot_series(panels, out_file, marker=None)


def plot_series(panels: Dict[str, Dict[str, Tuple[Sequence[float], Sequence[float]]]], out_file: str,
                xlabel: str = 'iteration', references: Optional[Dict[str, Dict[str, float]]] = None,
                marker: Optional[str] = 'o') -> str:
    """One panel per ``{title: {label: (xs, ys)}}`` entry, each series a line with markers, into ``out_file``.

    ``references`` (``{label: {title: y}}``) draws horizontal lines, one style each (e.g. a released model's score);
    ``marker`` marks the points (``None``: plain lines, for long logs).
    """
    if not panels:
        raise ValueError('plot_series: no panels to draw')
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3), squeeze=False)
    for ax, (title, series) in zip(axes[0], panels.items()):
        for label, (xs, ys) in series.items():
            if len(xs) != len(ys):
                raise ValueError(f'plot_series: {title}/{label} has {len(xs)} x values but {len(ys)} y values')
            ax.plot(xs, ys, marker=marker, label=label)
        for k, (label, values) in enumerate((references or {}).items()):
            if title in values:
                ax.axhline(values[title], linestyle=('--', ':', '-.')[k % 3], color=('black', 'gray', 'brown')[k % 3],
                           label=label)
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_file, dpi=110)
    plt.close(fig)
    return out_file
