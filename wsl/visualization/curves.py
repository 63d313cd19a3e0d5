"""Training curves from MMEngine's ``vis_data/scalars.json`` logs."""
import glob
import json
import os.path as osp
from typing import Dict, List, Sequence

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
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3), squeeze=False)
    for ax, key in zip(axes[0], keys):
        for label, wd in runs.items():
            recs = [r for r in read_scalars(wd) if key in r and 'iter' in r]
            ax.plot([r['iter'] for r in recs], [r[key] for r in recs], label=label)
        ax.set_xlabel('iteration')
        ax.set_title(key)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_file, dpi=110)
    plt.close(fig)
    return out_file
