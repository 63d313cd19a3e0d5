from .curves import plot_curves, plot_series, read_scalars
from .detections import draw_detection_grid
from .heatmaps import accumulate_box_scores, draw_score_heatmaps
from .tcam import plot_tcam

__all__ = ['accumulate_box_scores', 'draw_detection_grid', 'draw_score_heatmaps', 'plot_curves', 'plot_series', 'plot_tcam',
           'read_scalars']
