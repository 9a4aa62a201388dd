"""One numpy: handout, grader and Gradescope image install the pin of ``constraints.txt``."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from grader.api import environment, grade
from tools import make_autograder, make_handout

ROOT = Path(__file__).resolve().parents[3]


def _pin():
    pins = re.findall(r"^numpy==(\S+)$", (ROOT / "constraints.txt").read_text(), re.MULTILINE)
    assert len(pins) == 1, pins
    return pins[0]


def test_the_venv_runs_the_pinned_numpy():
    assert np.__version__ == _pin()


def test_both_makefiles_install_numpy_through_the_constraints_file():
    for makefile in (ROOT / "Makefile", ROOT / "tools" / "handout" / "Makefile"):
        installs = [line for line in makefile.read_text().splitlines()
                    if "pip install" in line]
        assert installs, makefile
        for line in installs:
            assert "-c constraints.txt" in line, (makefile, line)
            assert not re.search(r"numpy[<>=]", line), (makefile, line)  # no second spec


def test_build_and_install_requirements_name_the_pin():
    pin = f"numpy=={_pin()}"
    for path in ("pyproject.toml", "setup.py", "tools/handout/pyproject.toml",
                 "tools/handout/setup.py"):
        specs = re.findall(r'"(numpy[^"]*)"', (ROOT / path).read_text())
        assert specs == [pin], (path, specs)


def test_the_handout_ships_the_constraints_file():
    files = make_handout.handout_files(ROOT)
    assert files["constraints.txt"] == (ROOT / "constraints.txt").read_bytes()


def test_the_gradescope_image_installs_the_pin():
    req = make_autograder.bundle_files(ROOT)["requirements-autograder.txt"].decode()
    assert [line for line in req.splitlines() if line.startswith("numpy")] == \
        [f"numpy=={_pin()}"]


def test_the_report_records_the_numpy_version():
    assert environment({})["numpy"] == _pin()


def test_a_removed_api_is_named_in_the_grade(make_submission):
    """Graded for real: the worker's AttributeError comes back with the fix in words."""
    sub = make_submission(replace={"layers": [
        ("out = np.maximum(x, 0)", "out = np.maximum(x, np.float(0))"),
        ("out = x.reshape(x.shape[0], -1) @ w + b",
         "out = np.reshape(x, newshape=(x.shape[0], -1)) @ w + b")],
        "optim": [("import numpy as np\n", "import numpy as np\n\nSTEP_DTYPE = np.int\n")]})
    result = grade(sub, compare=False, pytest_args=["-k", "relu or affine or adam"])
    checks = {c.id: c for c in result.checks}
    adam = [c for cid, c in checks.items() if cid.startswith("adam")]
    assert adam and all("np.int no longer exists in numpy" in c.feedback for c in adam)
    assert "np.float no longer exists in numpy" in checks["relu.public"].feedback
    assert "write float (or np.float64) instead" in checks["relu.public"].feedback
    assert "np.reshape(a, newshape=...) no longer exists" in checks["affine.public"].feedback
