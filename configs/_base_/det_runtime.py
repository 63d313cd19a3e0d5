# Runtime for detection configs: the shared runtime plus MMDetection's visualizer (used by tools/test.py --show-dir).
_base_ = './default_runtime.py'

default_hooks = dict(visualization=dict(type='mmdet.DetVisualizationHook'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='mmdet.DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
