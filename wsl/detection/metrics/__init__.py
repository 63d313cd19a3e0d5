"""Detection metrics (registered in ``wsl.registry.METRICS``)."""
from .corloc import CorLocMetric, corloc_per_class

__all__ = ['CorLocMetric', 'corloc_per_class']
