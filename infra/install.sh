#!/usr/bin/env bash
# Sets up .venv with everything xlm-pipeline needs, CPU only. Idempotent: rerunning is cheap.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=".venv/bin/python -m pip --disable-pip-version-check -q"
# torch first and pinned: an unpinned torch resolves to a multi-GB CUDA build; 2.13.0 is the CPU wheel.
.venv/bin/python -c "import torch" 2>/dev/null || $PIP install "torch==2.13.0"
$PIP install -e ".[dev,dask,html]"
# DeepSpeed's sdist imports torch at build time; no compiled ops (JIT on GPU machines instead).
.venv/bin/python -c "import deepspeed" 2>/dev/null || DS_BUILD_OPS=0 $PIP install --no-build-isolation "deepspeed==0.19.8"
# Headless Chromium (Debian package) for the UI screenshot test; the Docker images set XLM_INSTALL_BROWSER=0.
if [ "${XLM_INSTALL_BROWSER:-1}" = 1 ] && ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium fonts-liberation >/dev/null
fi
echo "xlm-pipeline installed in .venv ($(.venv/bin/python --version))"
