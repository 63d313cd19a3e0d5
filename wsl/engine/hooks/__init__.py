from .progress_bar_hook import ProgressBarHook
from .record_metrics_hook import RecordMetricsHook

__all__ = ['ProgressBarHook', 'RecordMetricsHook']
