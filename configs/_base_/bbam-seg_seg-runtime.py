# Runtime for the semantic-segmentation configs (MMSegmentation models): the shared runtime plus MMSegmentation's
# visualizer (tools/test.py --show-dir).
_base_ = './default_runtime.py'

default_hooks = dict(visualization=dict(type='mmseg.SegVisualizationHook'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='mmseg.SegLocalVisualizer', vis_backends=vis_backends)
