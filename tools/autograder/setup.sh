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

# The first candidate that really runs: a name on PATH may be a pyenv shim or a wrapper
# that exits with "command not found", or a Python without venv/ensurepip (Debian splits
# them into python3.X-venv). Each one is started and asked, never trusted on its name.
PROBE='import sys, venv, ensurepip
assert sys.version_info >= (3, 11), "Python %s < 3.11" % sys.version.split()[0]
print(sys.version.split()[0])'
PY=""
for candidate in python3.12 python3.11 python3; do
  path="$(command -v "$candidate" 2>/dev/null)" || continue
  if version="$("$path" -c "$PROBE" 2>/dev/null)"; then
    PY="$path"
    echo "setup.sh: using $candidate ($path, Python $version)"
    break
  fi
  echo "setup.sh: skipping $candidate ($path): it does not run as Python >= 3.11 with venv"
done
if [ -z "$PY" ]; then
  echo "setup.sh: no working Python >= 3.11 with the venv module among python3.12," \
    "python3.11, python3 on PATH ($PATH)" >&2
  exit 1
fi

"$PY" -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip "setuptools>=69" wheel
"$ROOT/venv/bin/python" -m pip install --quiet -r "$SRC/requirements-autograder.txt"
"$ROOT/venv/bin/python" -m ipykernel install --sys-prefix --name python3 >/dev/null
cd "$SRC"
"$ROOT/venv/bin/python" setup.py -q build_ext --inplace
# Fail the image build now, not at the first submission, if the extension does not load.
"$ROOT/venv/bin/python" -c "import assignment.fast_layers as f; assert f.BACKEND == 'cython', f.BACKEND"
