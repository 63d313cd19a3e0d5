"""Installs `wsl` (distribution name exactly `wsl`, so `mim train wsl ...` finds it).

Pure Python: importing torch here would break isolated builds. The dependency stack (torch/torchvision pair,
mmcv built with ops) is set up by `make env` (scripts/env.sh); `install_requires` lists the runtime pins that pip
can check without building anything. Never install `wsl` from an index: PyPI's `wsl` is an unrelated project.
"""
import os
import os.path as osp
import platform
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version() -> str:
    ns = {}
    with open(osp.join(HERE, 'wsl', 'version.py')) as f:
        exec(f.read(), ns)
    return ns['__version__']


def read_requirements(name: str) -> list:
    out = []
    with open(osp.join(HERE, 'requirements', name)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                out.append(line)
    return out


def add_mim_extension() -> None:
    """Put configs/, tools/ and model-index.yml under wsl/.mim so that mim finds them in the installed package.

    Symlinks for editable/develop installs, copies when building a wheel or sdist (the path pip takes for
    `pip install .`), nothing otherwise.
    """
    if any(cmd in sys.argv for cmd in ('develop', 'editable_wheel')):
        mode = 'symlink'
    elif any(cmd in sys.argv for cmd in ('sdist', 'bdist_wheel', 'install')):
        mode = 'copy'
    else:
        return
    if mode == 'symlink' and platform.system() == 'Windows':
        mode = 'copy'
    mim_root = osp.join(HERE, 'wsl', '.mim')
    os.makedirs(mim_root, exist_ok=True)
    for name in ('configs', 'tools', 'model-index.yml'):
        src = osp.join(HERE, name)
        dst = osp.join(mim_root, name)
        if not osp.exists(src):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_root), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='wsl',
        version=read_version(),
        description='Weakly supervised localization toolkit on MMEngine/MMDetection: H2FA R-CNN, D2-Net, BBAM, '
        'R2D2 + context aggregation, NeFeS',
        long_description=open(osp.join(HERE, 'README.md')).read() if osp.exists(osp.join(HERE, 'README.md')) else '',
        long_description_content_type='text/markdown',
        python_requires='>=3.9',
        packages=find_packages(include=['wsl', 'wsl.*']),
        include_package_data=True,
        package_data={'wsl': ['.mim/model-index.yml', '.mim/configs/**/*.py', '.mim/configs/**/*.yml',
                              '.mim/configs/**/*.md', '.mim/tools/**/*.py', '.mim/tools/**/*.sh',
                              '.mim/tools/*.py', '.mim/tools/*.sh']},
        install_requires=read_requirements('runtime.txt'),
        extras_require={'tests': read_requirements('tests.txt')},
        entry_points={'console_scripts': ['wsl=wsl.cli:main']},
        license='Apache-2.0',
        zip_safe=False,
    )
