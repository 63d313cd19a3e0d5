#!/usr/bin/env bash
# Sets up the `wsl` environment (idempotent) and prints the path of its bin/ folder as the last line.
#
# The virtual environment lives outside the clone, keyed by a hash of the requirement files and this
# script, so every clone (CI included) reuses it: ~/.cache/wsl/venv-<hash>, or $WSL_VENV if set.
# The mmcv wheel, built from source with ops, is cached in ~/.cache/wsl/wheels (or $WSL_WHEELS).
# A fresh machine needs ~25 min (mostly the mmcv build on 2 cores); a warm one a few seconds.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
log() { echo "[wsl env] $*" >&2; }

py=${WSL_PYTHON:-python3}
env_version=2  # bump when the install steps below change
# The venv is keyed by what is expensive to rebuild (python, torch pair, mmcv build); the light runtime
# requirements are synced in place whenever their files change.
core_hash=$( { echo "$env_version"; "$py" --version 2>&1; cat requirements/torch.txt requirements/build.txt \
               requirements/mmcv.txt; } | sha256sum | cut -c1-12)
runtime_hash=$(cat requirements/runtime.txt requirements/tests.txt requirements/mim.txt | sha256sum | cut -c1-16)
cache=${WSL_CACHE:-$HOME/.cache/wsl}
venv=${WSL_VENV:-$cache/venv-$core_hash}
wheels=${WSL_WHEELS:-$cache/wheels}
# The local pip settings prefer a +cpu torch wheel that cannot load torchvision's ops:
# every install ignores them (--isolated) and reads PyPI.
pipi() { "$venv/bin/python" -m pip --isolated --disable-pip-version-check "$@"; }
pins=(-c requirements/build.txt -c requirements/torch.txt)

if [ ! -f "$venv/.wsl-core-ok" ]; then
  log "building the environment in $venv"
  mkdir -p "$(dirname "$venv")" "$wheels"
  # Resumable: an interrupted build keeps what it installed and pip skips what is satisfied.
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  pipi install -q --upgrade pip
  pipi install -q -r requirements/build.txt
  # torch pulls the newest setuptools, which has no pkg_resources (mmcv's setup.py and mim need it): constrain.
  pipi install -r requirements/torch.txt -c requirements/build.txt

  # mmcv with ops: CUDA ops where a GPU and nvcc exist, CPU ops otherwise. The wheel is tied to the torch ABI.
  torch_ver=$("$venv/bin/python" -c 'import torch; print(torch.__version__)')
  cuda_ops=0
  if command -v nvcc >/dev/null 2>&1 && "$venv/bin/python" -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    cuda_ops=1
  fi
  mmcv_dir="$wheels/mmcv-2.1.0-torch$torch_ver-cuda$cuda_ops"
  if ! ls "$mmcv_dir"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
    log "building mmcv 2.1.0 with ops (cuda=$cuda_ops), about 10-20 min on 2 cores"
    mkdir -p "$mmcv_dir"
    MMCV_WITH_OPS=1 FORCE_CUDA=$cuda_ops MAX_JOBS=${MAX_JOBS:-$(nproc)} \
      pipi wheel --no-build-isolation --no-deps -w "$mmcv_dir" -r requirements/mmcv.txt
  fi
  pipi install --no-deps "$mmcv_dir"/mmcv-2.1.0-*.whl
  # mmcv's own light dependencies (addict, yapf, ...); the pinned torch stays as is.
  pipi install -q addict packaging Pillow pyyaml yapf opencv-python "${pins[@]}"
  touch "$venv/.wsl-core-ok"
fi

if [ "$(cat "$venv/.wsl-runtime" 2>/dev/null)" != "$runtime_hash" ]; then
  log "syncing runtime requirements"
  pipi install -r requirements/runtime.txt -r requirements/tests.txt "${pins[@]}"
  pipi install -q --no-deps openmim==0.3.9
  pipi install -q $(grep -v -e '^#' -e '^openmim' requirements/mim.txt) "${pins[@]}"
  # Guard: nothing above may have replaced the pinned pair or pulled setuptools out of range.
  "$venv/bin/python" -c "
import torch, torchvision, mmcv, mmcv.ops, mmdet, mmengine, pkg_resources
assert torch.__version__.split('+')[0] == '2.13.0', torch.__version__
assert torchvision.__version__.split('+')[0] == '0.28.0', torchvision.__version__
assert mmcv.__version__ == '2.1.0', mmcv.__version__
"
  echo "$runtime_hash" > "$venv/.wsl-runtime"
fi

# The project itself, installed non-editable (mim cannot find editable installs). Reinstalled only when
# the package sources changed, so a second run installs nothing.
src_hash=$( { { find setup.py setup.cfg MANIFEST.in model-index.yml wsl configs tools requirements \
                -type f -not -path '*/.mim/*' -not -name '*.pyc' 2>/dev/null || true; } | LC_ALL=C sort | xargs -r sha256sum; } \
             | sha256sum | cut -c1-16)
if [ "$(cat "$venv/.wsl-src" 2>/dev/null)" != "$src_hash" ]; then
  log "installing wsl from $repo"
  pipi install -q --no-deps --no-build-isolation --force-reinstall "$repo"
  echo "$src_hash" > "$venv/.wsl-src"
fi
echo "$venv/bin"
