from .hooks import ProgressBarHook, RecordMetricsHook
from .launch import add_test_outputs, build_runner, metrics_to_json, prepare_test_cfg, prepare_train_cfg

__all__ = ['ProgressBarHook', 'RecordMetricsHook', 'add_test_outputs', 'build_runner', 'metrics_to_json',
           'prepare_test_cfg', 'prepare_train_cfg']
