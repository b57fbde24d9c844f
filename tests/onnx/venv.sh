#!/usr/bin/env bash
# Make (once) a Python venv with ONNX Runtime and numpy for tests/onnx/check.py and
# benches/compare.sh; prints the venv's python. Cached in ${HDRL_CACHE:-$HOME/.cache/hdrl}.
set -euo pipefail
ORT_VERSION=1.31.1
NUMPY_VERSION=2.3.5
venv=${HDRL_CACHE:-$HOME/.cache/hdrl}/onnx-venv-$ORT_VERSION
py=$venv/bin/python
if ! "$py" -c "import onnxruntime, numpy" 2>/dev/null; then
  command -v python3 >/dev/null || { apt-get update -qq && apt-get install -y -qq python3 python3-venv; }
  python3 -m venv "$venv" 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv "$venv"; }
  "$venv/bin/pip" install --disable-pip-version-check -q "onnxruntime==$ORT_VERSION" "numpy==$NUMPY_VERSION" >&2
fi
echo "$py"
