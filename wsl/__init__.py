"""wsl: one toolkit for weakly supervised localization (detection, temporal, segmentation, visual localization)."""
from importlib import metadata as _md

from .version import __version__

# (distribution, minimum inclusive, maximum exclusive); checked without importing the packages.
_REQUIRED = (('mmengine', '0.10.7', '1.0.0'), ('mmcv', '2.0.0', '2.2.0'), ('mmdet', '3.3.0', '3.4.0'))


def _parse(v: str) -> tuple:
    parts = []
    for p in v.split('+')[0].split('.')[:3]:
        digits = ''.join(c for c in p if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _check_versions() -> None:
    for dist, lo, hi in _REQUIRED:
        try:
            have = _md.version(dist)
        except _md.PackageNotFoundError:
            raise ImportError(f'wsl needs {dist}>={lo},<{hi}, which is not installed; run `make env` '
                              f'(or see requirements/) to set up the environment.') from None
        if not _parse(lo) <= _parse(have) < _parse(hi):
            raise ImportError(f'wsl needs {dist}>={lo},<{hi}, found {dist}=={have}; run `make env`.')


_check_versions()

__all__ = ['__version__']
