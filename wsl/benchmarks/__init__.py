"""Benchmarks run by ``wsl bench NAME``.

A benchmark is a function ``fn(quick: bool, seed: int, out: str) -> dict`` registered with
:func:`register_benchmark`. It prints a human-readable table and returns a flat dict of figures;
the CLI prints that dict as one JSON object on the last line. Benchmark modules are listed in
``BENCHMARK_MODULES`` and imported only when the CLI needs them (they may import heavy stacks).
"""
import importlib
from typing import Callable, Dict

_BENCHMARKS: Dict[str, Callable[..., dict]] = {}

# Modules that register benchmarks when imported.
BENCHMARK_MODULES = (
    'wsl.benchmarks.faster_rcnn_source_only',
    'wsl.benchmarks.h2fa',
    'wsl.benchmarks.h2fa_speed',
    'wsl.benchmarks.bbam_speed',
    'wsl.benchmarks.bbam',
    'wsl.benchmarks.d2net',
    'wsl.benchmarks.d2net_speed',
    'wsl.localization.r2d2.benchmark',
    'wsl.localization.r2d2.localization_benchmark',
    'wsl.localization.r2d2.speed_benchmark',
    'wsl.benchmarks.nefes',
)


def register_benchmark(name: str) -> Callable:
    """Register ``fn(quick, seed, out) -> dict`` as the benchmark ``name``."""

    def deco(fn: Callable[..., dict]) -> Callable[..., dict]:
        if name in _BENCHMARKS and _BENCHMARKS[name] is not fn:
            raise KeyError(f'benchmark {name!r} is already registered by {_BENCHMARKS[name].__module__}')
        _BENCHMARKS[name] = fn
        return fn

    return deco


def get_benchmarks() -> Dict[str, Callable[..., dict]]:
    """Import every benchmark module and return ``{name: fn}``."""
    for mod in BENCHMARK_MODULES:
        importlib.import_module(mod)
    return dict(_BENCHMARKS)
