"""The toolkit's registries: one node per MMEngine root registry, all in scope ``wsl``.

Every node's parent is the MMEngine root (as MMDetection, MMYOLO and MMRotate do), so a
``wsl`` config never silently picks up another codebase's module of the same name
(MMDetection, MMSegmentation and MMCV register different ``Resize``, ``LoadAnnotations``,
``RandomFlip`` ...). Borrowed components are named explicitly:

* a borrowed leaf gets a prefix: ``dict(type='mmdet.VOCMetric')``;
* a borrowed composite gets ``_scope_='mmdet'`` on its outer dict (its unprefixed
  children then resolve in MMDetection) and any ``wsl`` part nested inside it is
  written ``wsl.X``.

Modules of MMEngine's root (``LoadImageFromFile``, ``OptimWrapper``, ``IterBasedTrainLoop``,
hooks ...) resolve from ``wsl`` configs without a prefix through the parent chain.
"""
import os.path as osp

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import \
    RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

SCOPE = 'wsl'

# Where each node's modules live; imported lazily on the first lookup. Task subpackages add
# their modules here as they grow (each must import without optional dependencies).
_TASKS = ('detection', 'temporal', 'segmentation', 'localization')
# Method packages that register modules of every kind in one place (imported for any of these nodes).
_METHOD_PACKAGES = ('localization.nefes', 'segmentation.bbam')


def _locs(*shared: str, task_part: str = '') -> list:
    """Module paths for a node, keeping only those that exist in this installation."""
    names = [f'wsl.{s}' for s in shared]
    if task_part:
        names += [f'wsl.{t}.{task_part}' for t in _TASKS]
        names += [f'wsl.{m}' for m in _METHOD_PACKAGES]
    root = osp.dirname(osp.abspath(__file__))
    return [n for n in names if osp.exists(osp.join(root, *n.split('.')[1:], '__init__.py'))
            or osp.exists(osp.join(root, *n.split('.')[1:]) + '.py')]


RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS, scope=SCOPE, locations=_locs('engine'))
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=MMENGINE_RUNNER_CONSTRUCTORS, scope=SCOPE, locations=_locs('engine'))
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, scope=SCOPE, locations=_locs('engine'))
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope=SCOPE, locations=_locs('engine', task_part='engine'))
STRATEGIES = Registry('strategy', parent=MMENGINE_STRATEGIES, scope=SCOPE, locations=_locs('engine'))

DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, scope=SCOPE,
                    locations=_locs('datasets', task_part='datasets'))
DATA_SAMPLERS = Registry('data sampler', parent=MMENGINE_DATA_SAMPLERS, scope=SCOPE,
                         locations=_locs('datasets', task_part='datasets'))
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS, scope=SCOPE,
                      locations=_locs('datasets', task_part='datasets'))

MODELS = Registry('model', parent=MMENGINE_MODELS, scope=SCOPE, locations=_locs('models', task_part='models'))
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMENGINE_MODEL_WRAPPERS, scope=SCOPE,
                          locations=_locs('models'))
WEIGHT_INITIALIZERS = Registry('weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS, scope=SCOPE,
                               locations=_locs('models'))

OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, scope=SCOPE, locations=_locs('engine'))
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, scope=SCOPE,
                          locations=_locs('engine'))
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor', parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, scope=SCOPE,
    locations=_locs('engine'))
PARAM_SCHEDULERS = Registry('parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS, scope=SCOPE,
                            locations=_locs('engine'))

METRICS = Registry('metric', parent=MMENGINE_METRICS, scope=SCOPE,
                   locations=_locs('evaluation', task_part='metrics'))
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR, scope=SCOPE, locations=_locs('evaluation'))

TASK_UTILS = Registry('task util', parent=MMENGINE_TASK_UTILS, scope=SCOPE,
                      locations=_locs('models', task_part='models'))

VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS, scope=SCOPE, locations=_locs('visualization'))
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS, scope=SCOPE, locations=_locs('visualization'))
LOG_PROCESSORS = Registry('log_processor', parent=MMENGINE_LOG_PROCESSORS, scope=SCOPE,
                          locations=_locs('engine'))
INFERENCERS = Registry('inferencer', parent=MMENGINE_INFERENCERS, scope=SCOPE, locations=_locs('apis'))
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS, scope=SCOPE, locations=_locs('utils'))

__all__ = [
    'SCOPE', 'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'STRATEGIES', 'DATASETS', 'DATA_SAMPLERS',
    'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS',
    'VISBACKENDS', 'LOG_PROCESSORS', 'INFERENCERS', 'FUNCTIONS'
]
