"""MMEngine metric wrapping :func:`evaluate_detection` (legacy or ActivityNet protocol)."""
from typing import Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric

from wsl.registry import METRICS
from .detection_map import IOU_SETS, PROTOCOLS, SNIPPET_RATE, evaluate_detection, summarize


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, 'detach') else np.asarray(x)


@METRICS.register_module()
class TemporalDetectionMAP(BaseMetric):
    """Temporal detection mAP at several IoU thresholds, with their averages.

    Each data sample (as a dict) must hold ``video_name``, ``pred_instances`` with ``segments``
    (N, 2) seconds, ``scores`` and ``labels``, and ``gt_instances`` with ``segments`` (seconds) and
    ``labels``; optionally ``ambiguous_segments`` (A, 2) seconds.

    Args:
        protocol (str): 'legacy' (W-TALC/D2-Net snippet-level first fit) or 'activitynet'.
        iou_thresholds (sequence | str): thresholds or a name of ``IOU_SETS`` ('0.1:0.5', '0.1:0.7',
            '0.5:0.95').
        use_ambiguous (bool): drop predictions that overlap the samples' ambiguous segments.
        snippet_rate (float): snippets per second for the legacy protocol (25/16).
        zero_later_classes_bug (bool): reproduce the official legacy num_c bug (off by default).
        collect_device (str), prefix (str, optional): see ``BaseMetric``.
    """
    default_prefix = 'tad'

    def __init__(self, protocol: str = 'activitynet', iou_thresholds: Union[str, Sequence[float]] = '0.1:0.7',
                 use_ambiguous: bool = True, snippet_rate: float = SNIPPET_RATE,
                 zero_later_classes_bug: bool = False, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if protocol not in PROTOCOLS:
            raise ValueError(f'protocol must be one of {PROTOCOLS}, got {protocol!r}')
        if isinstance(iou_thresholds, str):
            if iou_thresholds not in IOU_SETS:
                raise KeyError(f'unknown IoU set {iou_thresholds!r}; known: {sorted(IOU_SETS)}')
            iou_thresholds = IOU_SETS[iou_thresholds]
        self.protocol, self.iou_thresholds = protocol, tuple(float(t) for t in iou_thresholds)
        self.use_ambiguous, self.snippet_rate = use_ambiguous, snippet_rate
        self.zero_later_classes_bug = zero_later_classes_bug

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep the numpy predictions, GT and ambiguous segments of each video."""
        for ds in data_samples:
            if 'video_name' not in ds or 'pred_instances' not in ds or 'gt_instances' not in ds:
                raise KeyError('TemporalDetectionMAP needs video_name, pred_instances and gt_instances '
                               f'in each data sample, got keys {sorted(ds)}')
            pred, gt = ds['pred_instances'], ds['gt_instances']
            self.results.append(dict(
                video=ds['video_name'],
                pred=dict(segments=_np(pred['segments']).reshape(-1, 2), scores=_np(pred['scores']),
                          labels=_np(pred['labels']).astype(np.int64)),
                gt=dict(segments=_np(gt['segments']).reshape(-1, 2), labels=_np(gt['labels']).astype(np.int64)),
                ambiguous=_np(ds.get('ambiguous_segments', np.zeros((0, 2)))).reshape(-1, 2)))

    def compute_metrics(self, results: list) -> dict:
        """Evaluate all videos; returns ``mAP@t`` per threshold and the averages (percent)."""
        gt = {r['video']: r['gt'] for r in results}
        preds = {r['video']: r['pred'] for r in results}
        amb = {r['video']: r['ambiguous'] for r in results} if self.use_ambiguous else None
        res = evaluate_detection(gt, preds, self.iou_thresholds, self.protocol, amb,
                                 snippet_rate=self.snippet_rate,
                                 zero_later_classes_bug=self.zero_later_classes_bug)
        return summarize(res)
