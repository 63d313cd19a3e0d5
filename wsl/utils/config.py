"""Finding the configs that ship with `wsl` (repository checkout or installed package)."""
import os.path as osp

_PKG = osp.dirname(osp.dirname(osp.abspath(__file__)))


def config_roots() -> list:
    """Folders that hold the shipped configs: ``<repo>/configs`` (checkout) first, then ``wsl/.mim/configs``.

    In a checkout the repo's configs win: ``pip install .`` leaves a copy under ``wsl/.mim`` in the source tree, which
    goes stale as soon as a config is edited.
    """
    roots = [osp.join(osp.dirname(_PKG), 'configs'), osp.join(_PKG, '.mim', 'configs')]
    return [r for r in roots if osp.isdir(r)]


def find_config(rel_path: str) -> str:
    """Path of a shipped config, e.g. ``find_config('faster_rcnn/faster-rcnn_r18_fpn_1xb8-600it_shapes.py')``."""
    if osp.isfile(rel_path):
        return rel_path
    for root in config_roots():
        p = osp.join(root, rel_path)
        if osp.isfile(p):
            return p
    raise FileNotFoundError(f"config '{rel_path}' not found in {config_roots() or 'any config folder'}; "
                            'is wsl installed with its configs (make env)?')
