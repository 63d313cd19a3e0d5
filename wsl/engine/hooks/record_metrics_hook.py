"""Keeps the latest validation/test metrics so tools can print them as JSON at the end of a run."""
from typing import Dict, Optional

from mmengine.hooks import Hook

from wsl.registry import HOOKS


@HOOKS.register_module()
class RecordMetricsHook(Hook):
    """Store the metrics of the last validation and test epochs in ``last_val`` / ``last_test``."""

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self.last_val: Dict[str, float] = {}
        self.last_test: Dict[str, float] = {}

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        self.last_val = dict(metrics or {})

    def after_test_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        self.last_test = dict(metrics or {})
