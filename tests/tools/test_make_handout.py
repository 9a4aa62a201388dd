"""tools.make_handout: the zip holds what a student needs and nothing of the solutions."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader import submission as grader_submission
from tools import make_handout
from tools.make_student import ROOT
from tools.markers import solution_lines

TOP = make_handout.TOP
REQUIRED = [
    "README.md", "Makefile", "setup.py", "pyproject.toml",
    "assignment/__init__.py", "assignment/implementation.py", "assignment/solver.py",
    "assignment/gradient_check.py", "assignment/data_utils.py", "assignment/vis_utils.py",
    "assignment/fast_layers/__init__.py", "assignment/fast_layers/im2col_cython.pyx",
    "assignment/student/__init__.py",
    *(f"assignment/student/{m}.py" for m in ("layers", "conv_layers", "layer_utils", "cnn")),
    "assignment/student/optim.py",
    *(f"notebooks/{n}.ipynb" for n in ("ConvolutionalNetworks", "SpatialBatchNorm", "CNN")),
    "tools/run_notebooks.py",
]


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    """The built handout zip, opened."""
    path = make_handout.build(ROOT, tmp_path_factory.mktemp("dist") / "handout.zip")
    with zipfile.ZipFile(path) as zf:
        yield zf


def _reference_solution_lines():
    """Every non-trivial line inside a reference solution region, read directly."""
    lines = set()
    for path in sorted((ROOT / "assignment" / "reference").glob("*.py")):
        if path.name == "__init__.py":
            continue
        inside = {make_handout.normalize(s) for s in solution_lines(path.read_text(), str(path))}
        kept = {s for s in inside if not make_handout.is_trivial(s)}
        assert kept, f"no solution lines found in {path.name}"
        lines |= kept
    return lines


def test_handout_has_the_student_files(handout):
    names = {n.removeprefix(f"{TOP}/") for n in handout.namelist()}
    assert all(n.startswith(f"{TOP}/") for n in handout.namelist())
    assert set(REQUIRED) <= names, sorted(set(REQUIRED) - names)


def test_handout_has_no_reference_grader_or_expected_outputs(handout):
    for name in handout.namelist():
        parts = Path(name).parts
        assert not {"reference", "grader", "expected"} & set(parts), name
        assert not name.endswith((".npz", ".npy", ".pkl", ".so", ".c")), name
        assert b"assignment.reference" not in handout.read(name), name


def test_handout_holds_no_line_of_any_solution_region(handout):
    forbidden = _reference_solution_lines()
    assert len(forbidden) > 100  # the triviality filter must not empty the comparison
    for name in handout.namelist():
        text = handout.read(name).decode("utf-8")
        if name.endswith(".ipynb"):
            # Notebook JSON wraps each source line in quotes; compare decoded lines.
            text = "\n".join(make_handout.text_lines(name, handout.read(name)))
        leaked = forbidden & {make_handout.normalize(line) for line in text.splitlines()}
        assert not leaked, f"{name} holds solution lines {sorted(leaked)[:5]}"


def test_skeletons_in_handout_match_committed_ones(handout):
    for module in ("layers", "conv_layers", "layer_utils", "cnn", "optim"):
        committed = (ROOT / "assignment" / "student" / f"{module}.py").read_bytes()
        assert handout.read(f"{TOP}/assignment/student/{module}.py") == committed


def test_build_is_deterministic(tmp_path):
    a = make_handout.build(ROOT, tmp_path / "a.zip").read_bytes()
    b = make_handout.build(ROOT, tmp_path / "b.zip").read_bytes()
    assert a == b


def _copy_sources(dest):
    """The parts of the repository the handout is built from."""
    ignore = shutil.ignore_patterns("__pycache__", "*.so", "*.c", "datasets")
    shutil.copytree(ROOT / "assignment", dest / "assignment", ignore=ignore)
    shutil.copytree(ROOT / "notebooks" / "solutions", dest / "notebooks" / "solutions")
    shutil.copytree(ROOT / "tools" / "handout", dest / "tools" / "handout")
    shutil.copy(ROOT / "tools" / "run_notebooks.py", dest / "tools" / "run_notebooks.py")
    shutil.copy(ROOT / "constraints.txt", dest / "constraints.txt")


def test_a_leaked_solution_line_stops_the_build(tmp_path, capsys):
    _copy_sources(tmp_path)
    leak = sorted(_reference_solution_lines(), key=len)[-1]
    with open(tmp_path / "assignment" / "vis_utils.py", "a") as f:
        f.write(f"\n# {leak}\n")
    out = tmp_path / "dist" / "handout.zip"
    assert make_handout.main(["--root", str(tmp_path), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "assignment/vis_utils.py" in err and leak in err
    assert not out.exists()


# Our own venv installs this repository in editable mode, and setuptools' editable finder
# would resolve ``assignment.reference`` to /work/main even from the extracted handout;
# a student's install has no such finder, so remove it to see what the student sees.
NO_EDITABLE = (
    "import sys\n"
    "sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in str(f)]\n"
)


def test_extracted_handout_imports_without_the_reference(tmp_path, handout):
    handout.extractall(tmp_path)
    top = tmp_path / TOP
    code = NO_EDITABLE + (
        "from assignment.implementation import IMPL, conv_layers\n"
        "from assignment import fast_layers\n"
        "import numpy as np\n"
        "x = np.ones((1, 1, 4, 4)); w = np.ones((1, 1, 3, 3)); b = np.zeros(1)\n"
        "print(IMPL, fast_layers.conv_forward_fast(x, w, b, {'stride': 1, 'pad': 1})[0].sum())\n"
        "try:\n"
        "    conv_layers.conv_forward_naive(x, w, b, {'stride': 1, 'pad': 1})\n"
        "except NotImplementedError as e:\n"
        "    print(e)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "ASSIGNMENT_IMPL": "student"}
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=top, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["student 100.0", "conv_forward_naive: not implemented yet"]
    env["ASSIGNMENT_IMPL"] = "reference"
    code = NO_EDITABLE + "import assignment.implementation"
    run = subprocess.run([sys.executable, "-c", code], cwd=top,
                         env=env, capture_output=True, text=True)
    assert run.returncode != 0
    assert "not part of the student handout" in run.stderr


@pytest.mark.notebook
@pytest.mark.slow
def test_make_check_in_extracted_handout_names_the_next_function(tmp_path, handout):
    handout.extractall(tmp_path)
    top = tmp_path / TOP
    run = subprocess.run(
        [sys.executable, "-m", "tools.run_notebooks", "--small",
         "notebooks/ConvolutionalNetworks.ipynb"],
        cwd=top, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "NotImplementedError: conv_forward_naive: not implemented yet" in run.stdout
    # one line for the notebook and nothing else: no kernel warnings in the student's console
    assert len((run.stdout + run.stderr).splitlines()) == 1, run.stdout + run.stderr


def test_make_submission_packs_what_the_grader_reads(tmp_path, handout):
    handout.extractall(tmp_path)
    top = tmp_path / TOP
    run = subprocess.run([sys.executable, "-m", "tools.make_submission"], cwd=top,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "still to write: conv_forward_naive, conv_backward_naive" in run.stdout
    with zipfile.ZipFile(top / "submission.zip") as zf:
        assert sorted(zf.namelist()) == sorted([
            "layers.py", "conv_layers.py", "layer_utils.py", "cnn.py", "optim.py",
            "ConvolutionalNetworks.ipynb", "SpatialBatchNorm.ipynb", "CNN.ipynb",
        ])
    loaded = grader_submission.load(top / "submission.zip")
    assert sorted(loaded.files) == ["cnn", "conv_layers", "layer_utils", "layers", "optim"]

    (top / "assignment" / "student" / "cnn.py").write_text("def broken(:\n")
    run = subprocess.run([sys.executable, "-m", "tools.make_submission"], cwd=top,
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert "assignment/student/cnn.py:1: syntax error" in run.stderr
