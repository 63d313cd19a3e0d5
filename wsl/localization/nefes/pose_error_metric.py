"""Median translation / rotation error as an MMEngine metric (for APR evaluation and refinement loops)."""
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from wsl.registry import METRICS
from .pose_metric import CONVENTIONS, pose_errors, summarize_pose_errors


def _get(sample, key: str):
    if isinstance(sample, dict):
        if key not in sample:
            raise KeyError(f'AbsolutePoseErrorMetric: data sample lacks {key!r}')
        return sample[key]
    if key not in sample:
        raise KeyError(f'AbsolutePoseErrorMetric: data sample lacks {key!r}')
    return getattr(sample, key)


@METRICS.register_module()
class AbsolutePoseErrorMetric(BaseMetric):
    """Per-frame camera-centre distance and SO(3)-projected rotation angle, summarised by their medians.

    Reads a predicted and a ground-truth (3, 4) pose (or 12 numbers) from each data sample (dict or data
    element). Reports ``median_translation_m``, ``median_rotation_deg``, means and the accuracy at the
    standard thresholds (see :func:`~.pose_metric.summarize_pose_errors`).

    Args:
        pred_key (str): field of the predicted pose.
        gt_key (str): field of the ground-truth pose.
        convention (str): ``'c2w'`` or ``'w2c'``.
    """
    default_prefix = 'pose'

    def __init__(self, pred_key: str = 'pred_pose', gt_key: str = 'pose', convention: str = 'c2w',
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if convention not in CONVENTIONS:
            raise ValueError(f'AbsolutePoseErrorMetric: convention must be one of {CONVENTIONS}, got {convention!r}')
        self.pred_key, self.gt_key, self.convention = pred_key, gt_key, convention

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            pred = torch.as_tensor(_get(sample, self.pred_key)).detach().cpu().double().reshape(1, 3, 4)
            gt = torch.as_tensor(_get(sample, self.gt_key)).detach().cpu().double().reshape(1, 3, 4)
            t_err, r_err = pose_errors(pred.numpy(), gt.numpy(), self.convention)
            self.results.append((float(t_err[0]), float(r_err[0])))

    def compute_metrics(self, results: List) -> dict:
        errs = np.asarray(results, dtype=np.float64).reshape(-1, 2)
        return summarize_pose_errors(errs[:, 0], errs[:, 1])
