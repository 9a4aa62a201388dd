"""Backend selection: the compiled extension, the numpy fallback and its one warning.

Each scenario runs in a fresh interpreter so the package's import-time choice is real.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
EXT = "assignment.fast_layers.im2col_cython"

# Blocks the compiled module as if it were not built, imports the package twice, and
# reports what happened as JSON on the last line.
SCRIPT = """
import json, sys, warnings
if {block_ext}:
    sys.modules[{ext!r}] = None          # 'import' now raises ImportError
sys.modules["assignment.reference"] = None  # the handout ships without the reference
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import assignment.fast_layers as fl
    import importlib; importlib.import_module("assignment.fast_layers")
    import numpy as np
    out, cache = fl.conv_forward_fast(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)),
                                      np.zeros(1), {{"stride": 1, "pad": 0}})
    dx = fl.max_pool_backward_fast(*fl.max_pool_forward_fast(out, {{
        "pool_height": 2, "pool_width": 2, "stride": 1}}))
ours = [str(w.message) for w in caught
        if issubclass(w.category, fl.FastLayersNotCompiledWarning)]
print(json.dumps({{"backend": fl.BACKEND, "warnings": ours, "sum": float(out.sum())}}))
"""


def _run(block_ext, backend=None):
    env = {k: v for k, v in os.environ.items() if k != "ASSIGNMENT_FAST_BACKEND"}
    env["PYTHONPATH"] = str(ROOT)
    if backend is not None:
        env["ASSIGNMENT_FAST_BACKEND"] = backend
    code = SCRIPT.format(block_ext=block_ext, ext=EXT)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )


def _report(proc):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_missing_extension_falls_back_with_one_warning():
    report = _report(_run(block_ext=True))
    assert report["backend"] == "numpy"
    assert report["sum"] == 16.0  # the layers still work (2x2 windows of ones)
    assert len(report["warnings"]) == 1
    message = report["warnings"][0]
    assert "make build" in message and "build_ext --inplace" in message


def test_numpy_backend_on_request_is_silent():
    report = _report(_run(block_ext=False, backend="numpy"))
    assert report == {"backend": "numpy", "warnings": [], "sum": 16.0}


def test_forced_cython_without_extension_fails_loudly():
    proc = _run(block_ext=True, backend="cython")
    assert proc.returncode != 0
    assert "ImportError" in proc.stderr and "make build" in proc.stderr


def test_unknown_backend_name_is_refused():
    proc = _run(block_ext=False, backend="fortran")
    assert proc.returncode != 0 and "ASSIGNMENT_FAST_BACKEND" in proc.stderr


@pytest.mark.cython
def test_compiled_extension_is_used_when_built():
    report = _report(_run(block_ext=False))
    if report["backend"] != "cython":
        pytest.skip("compiled fast layers not built (run `make build`)")
    assert report["warnings"] == []


def test_library_code_never_imports_the_reference():
    """The handout and the grader sandbox ship fast_layers without assignment/reference
    (the subprocess scenarios above also block it at import time). bench.py, a developer
    tool, imports it lazily inside main() for the naive column."""
    package = ROOT / "assignment" / "fast_layers"
    pattern = re.compile(r"^\s*(from|import)\s+[\w.]*reference", re.MULTILINE)
    for source in [*package.glob("*.py"), *package.glob("*.pyx")]:
        if source.name == "bench.py":
            continue
        assert not pattern.search(source.read_text(encoding="utf-8")), source
