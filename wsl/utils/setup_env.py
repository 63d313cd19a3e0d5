"""One call that makes every `wsl` module (and MMDetection's) available to configs."""
import importlib

from mmengine.registry import init_default_scope as init_default_scope_

from .checkpoint import register_safe_checkpoint_loader

# Imported eagerly by register_all_modules(); each registers its modules in the `wsl` registries.
_MODULES = ('wsl.datasets', 'wsl.engine', 'wsl.evaluation', 'wsl.models', 'wsl.detection', 'wsl.temporal',
            'wsl.segmentation', 'wsl.localization')


def _registering_modules() -> list:
    """_MODULES plus every location any `wsl` registry node lists."""
    import wsl.registry as reg
    names = list(_MODULES)
    for node in reg.__all__[1:]:
        for loc in getattr(reg, node)._locations:
            if loc not in names:
                names.append(loc)
    return names


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import all `wsl` modules so they register, register MMDetection's, and install the safe checkpoint loader.

    Args:
        init_default_scope (bool): make ``wsl`` the current default scope (a new instance named
            ``wsl-<time>`` if another scope is current), as MMDetection's function does.
    """
    import mmdet.utils
    import mmseg.utils
    mmdet.utils.register_all_modules(init_default_scope=False)
    mmseg.utils.register_all_modules(init_default_scope=False)  # DeepLab etc. for BBAM's semantic training
    for name in _registering_modules():
        importlib.import_module(name)
    register_safe_checkpoint_loader()
    if init_default_scope:
        init_default_scope_('wsl')
