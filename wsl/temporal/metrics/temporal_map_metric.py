"""MMEngine metric wrapping :func:`evaluate_detection` (legacy or ActivityNet protocol)."""
import json
import os
import os.path as osp
from typing import Dict, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from wsl.registry import METRICS
from .anet_json import dump_activitynet_gt, dump_activitynet_results
from .detection_map import IOU_SETS, PROTOCOLS, SNIPPET_RATE, detection_f1, evaluate_detection, summarize


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, 'detach') else np.asarray(x)


@METRICS.register_module()
class TemporalDetectionMAP(BaseMetric):
    """Temporal detection mAP at several IoU thresholds, with their averages.

    Each data sample (as a dict) must hold ``video_name``, ``pred_instances`` with ``segments``
    (N, 2) seconds, ``scores`` and ``labels``, and ``gt_instances`` with ``segments`` (seconds) and
    ``labels``; optionally ``ambiguous_segments`` (A, 2) seconds and ``duration`` (seconds).

    Args:
        protocol (str): 'legacy' (W-TALC/D2-Net snippet-level first fit) or 'activitynet'.
        iou_thresholds (sequence | str): thresholds or a name of ``IOU_SETS`` ('0.1:0.5', '0.1:0.7',
            '0.5:0.95').
        use_ambiguous (bool): drop predictions that overlap the samples' ambiguous segments.
        snippet_rate (float): snippets per second for the legacy protocol (25/16).
        zero_later_classes_bug (bool): reproduce the official legacy num_c bug (off by default).
        f1_iou (float, optional): also report micro precision / recall / F1 of the detections at this IoU
            (``F1@0.50`` ...; D2-Net Table 3 uses 0.5). None: not reported.
        outfile_prefix (str, optional): write the predictions in the ActivityNet results format to
            ``{prefix}.results.json`` (class names from ``dataset_meta['classes']``), the ground truth to
            ``{prefix}.gt.json`` and, when ``use_ambiguous`` and any exist, the ambiguous segments to
            ``{prefix}.ambiguous.json``: ``tools/eval_temporal.py {prefix}.gt.json {prefix}.results.json
            --protocol P --ambiguous {prefix}.ambiguous.json`` gives the same mAP.
        format_only (bool): only write the files (needs ``outfile_prefix``), return no metrics; for
            test sets without ground truth.
        collect_device (str), prefix (str, optional): see ``BaseMetric``.
    """
    default_prefix = 'tad'

    def __init__(self, protocol: str = 'activitynet', iou_thresholds: Union[str, Sequence[float]] = '0.1:0.7',
                 use_ambiguous: bool = True, snippet_rate: float = SNIPPET_RATE,
                 zero_later_classes_bug: bool = False, f1_iou: Optional[float] = None,
                 outfile_prefix: Optional[str] = None, format_only: bool = False, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if protocol not in PROTOCOLS:
            raise ValueError(f'protocol must be one of {PROTOCOLS}, got {protocol!r}')
        if isinstance(iou_thresholds, str):
            if iou_thresholds not in IOU_SETS:
                raise KeyError(f'unknown IoU set {iou_thresholds!r}; known: {sorted(IOU_SETS)}')
            iou_thresholds = IOU_SETS[iou_thresholds]
        if format_only and not outfile_prefix:
            raise ValueError('TemporalDetectionMAP: format_only=True needs outfile_prefix (where to write the JSON)')
        if f1_iou is not None and not 0 < f1_iou <= 1:
            raise ValueError(f'TemporalDetectionMAP: f1_iou must be in (0, 1], got {f1_iou}')
        self.protocol, self.iou_thresholds = protocol, tuple(float(t) for t in iou_thresholds)
        self.use_ambiguous, self.snippet_rate = use_ambiguous, snippet_rate
        self.zero_later_classes_bug, self.f1_iou = zero_later_classes_bug, f1_iou
        self.outfile_prefix, self.format_only = outfile_prefix, format_only

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep the numpy predictions, GT and ambiguous segments of each video."""
        for ds in data_samples:
            if 'video_name' not in ds or 'pred_instances' not in ds or 'gt_instances' not in ds:
                raise KeyError('TemporalDetectionMAP needs video_name, pred_instances and gt_instances '
                               f'in each data sample, got keys {sorted(ds)}')
            pred, gt = ds['pred_instances'], ds['gt_instances']
            self.results.append(dict(
                video=ds['video_name'], duration=ds.get('duration'),
                pred=dict(segments=_np(pred['segments']).reshape(-1, 2), scores=_np(pred['scores']),
                          labels=_np(pred['labels']).astype(np.int64)),
                gt=dict(segments=_np(gt['segments']).reshape(-1, 2), labels=_np(gt['labels']).astype(np.int64)),
                ambiguous=_np(ds.get('ambiguous_segments', np.zeros((0, 2)))).reshape(-1, 2)))

    def dump(self, results: list, prefix: str) -> Dict[str, str]:
        """Write the ActivityNet-format files of :attr:`outfile_prefix`; returns their paths."""
        classes = (self.dataset_meta or {}).get('classes')
        classes = list(classes) if classes is not None else None
        out_dir = osp.dirname(osp.abspath(prefix))
        os.makedirs(out_dir, exist_ok=True)
        files = dict(results=f'{prefix}.results.json', gt=f'{prefix}.gt.json')
        dump_activitynet_results({r['video']: r['pred'] for r in results}, files['results'], classes)
        durations = {r['video']: float(r['duration']) for r in results if r.get('duration') is not None}
        dump_activitynet_gt({r['video']: r['gt'] for r in results}, files['gt'], classes, durations=durations)
        amb = {r['video']: r['ambiguous'].tolist() for r in results if len(r['ambiguous'])}
        if self.use_ambiguous and amb:
            files['ambiguous'] = f'{prefix}.ambiguous.json'
            with open(files['ambiguous'], 'w') as f:
                json.dump(amb, f)
        return files

    def compute_metrics(self, results: list) -> dict:
        """Evaluate all videos; returns ``mAP@t`` per threshold and the averages (percent)."""
        if self.outfile_prefix:
            files = self.dump(results, self.outfile_prefix)
            MMLogger.get_current_instance().info(f'temporal detections written to {files}')
        if self.format_only:
            return {}
        gt = {r['video']: r['gt'] for r in results}
        preds = {r['video']: r['pred'] for r in results}
        amb = {r['video']: r['ambiguous'] for r in results} if self.use_ambiguous else None
        res = evaluate_detection(gt, preds, self.iou_thresholds, self.protocol, amb,
                                 snippet_rate=self.snippet_rate,
                                 zero_later_classes_bug=self.zero_later_classes_bug)
        out = summarize(res)
        if self.f1_iou is not None:
            f1 = detection_f1(gt, preds, self.f1_iou, self.protocol, amb, self.snippet_rate)
            tag = f'{self.f1_iou:.2f}'
            out.update({f'F1@{tag}': 100 * f1['f1'], f'precision@{tag}': 100 * f1['precision'],
                        f'recall@{tag}': 100 * f1['recall']})
        return out
