#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# It installs Python >= 3.11, a virtual environment with the grader's dependencies, and
# compiles the fast-layer extension. AUTOGRADER_ROOT overrides /autograder (local tests).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SRC="$ROOT/source"

if command -v apt-get >/dev/null; then
  apt-get update -q
  apt-get install -y -q build-essential python3.11 python3.11-venv python3.11-dev \
    || apt-get install -y -q build-essential python3 python3-venv python3-dev
fi
PY="$(command -v python3.12 || command -v python3.11 || command -v python3)"
"$PY" -c 'import sys; assert sys.version_info >= (3, 11), f"Python {sys.version} < 3.11"'

"$PY" -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip "setuptools>=69" wheel
"$ROOT/venv/bin/python" -m pip install --quiet -r "$SRC/requirements-autograder.txt"
"$ROOT/venv/bin/python" -m ipykernel install --sys-prefix --name python3 >/dev/null
cd "$SRC"
"$ROOT/venv/bin/python" setup.py -q build_ext --inplace
# Fail the image build now, not at the first submission, if the extension does not load.
"$ROOT/venv/bin/python" -c "import assignment.fast_layers as f; assert f.BACKEND == 'cython', f.BACKEND"
