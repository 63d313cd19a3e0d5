# Runtime for detection configs: the shared runtime plus MMDetection's visualizer (used by tools/test.py --show-dir).
_base_ = './default_runtime.py'

default_hooks = dict(visualization=dict(type='mmdet.DetVisualizationHook'))
vis_backends = [dict(type='LocalVisBackend')]
# No fixed name: each run gets its own visualizer (named after the experiment), so runs in one process do
# not write into each other's work dirs.
visualizer = dict(type='mmdet.DetLocalVisualizer', vis_backends=vis_backends)
