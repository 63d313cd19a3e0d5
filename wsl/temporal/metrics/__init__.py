"""Temporal detection evaluation: the functional mAP (legacy / ActivityNet protocols) and its metric."""
from .anet_json import (dump_activitynet_gt, dump_activitynet_results, load_activitynet_gt, load_activitynet_results,
                        load_ambiguous)
from .detection_map import (IOU_SETS, PROTOCOLS, detection_f1, evaluate_detection, interpolated_ap, segment_iou,
                            summarize, to_snippets)
from .temporal_map_metric import TemporalDetectionMAP

__all__ = [
    'IOU_SETS', 'PROTOCOLS', 'detection_f1', 'evaluate_detection', 'interpolated_ap', 'segment_iou', 'summarize',
    'to_snippets', 'TemporalDetectionMAP', 'dump_activitynet_gt', 'dump_activitynet_results', 'load_activitynet_gt',
    'load_activitynet_results', 'load_ambiguous'
]
