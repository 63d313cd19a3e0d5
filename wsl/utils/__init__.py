from .checkpoint import UnsafeCheckpointError, register_safe_checkpoint_loader, safe_torch_load
from .config import find_config
from .setup_env import register_all_modules

__all__ = ['UnsafeCheckpointError', 'register_safe_checkpoint_loader', 'safe_torch_load', 'register_all_modules',
           'find_config']
