from .curves import plot_curves, read_scalars
from .detections import draw_detection_grid

__all__ = ['draw_detection_grid', 'plot_curves', 'read_scalars']
