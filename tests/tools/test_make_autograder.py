"""The Gradescope bundle: layout, no reference code, and a run in a recreated /autograder."""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.samples import make_samples
from tools import make_autograder

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests" / "grader" / "gradescope_schema.json"
REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)[ \t]*### END SOLUTION", re.DOTALL)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return make_autograder.build(tmp_path_factory.mktemp("dist") / "autograder.zip")


def validate(data):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))


def test_layout_and_executables(bundle):
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
    assert {"setup.sh", "run_autograder", "run.py", "grader/api.py",
            "grader/golden/expected/manifest.json", "assignment/fast_layers/im2col_cython.pyx"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert not [n for n in names if "reference" in n.split("/")[:-1] or "__pycache__" in n]
    assert not [n for n in names if n.endswith((".so", ".pyc"))]


def test_no_reference_solution_in_the_bundle(bundle):
    """No line of any solution region (reference or notebook), alone or in a block: the
    named-mistake generator, which quotes solution lines in its edits, stays out."""
    from tools.make_handout import forbidden_lines, is_trivial, normalize

    regions = [m.group(1).strip() for f in (ROOT / "assignment" / "reference").glob("*.py")
               for m in REGION.finditer(f.read_text())]
    regions = [r for r in regions if r.count("\n") >= 1]
    assert len(regions) > 10
    forbidden = forbidden_lines()
    assert len(forbidden) > 50
    with zipfile.ZipFile(bundle) as zf:
        texts = {n: zf.read(n).decode("utf-8", "replace") for n in zf.namelist()
                 if n.endswith((".py", ".pyx", ".txt", ".md", ".sh", ".json"))}
    leaks = [(n, r.splitlines()[0]) for n, t in texts.items() for r in regions if r in t]
    assert not leaks, f"solution code in the bundle: {leaks[:3]}"
    lines = [(n, i, normalize(line)) for n, t in texts.items()
             for i, line in enumerate(t.splitlines(), 1)]
    single = [(n, i, k) for n, i, k in lines if k and not is_trivial(k) and k in forbidden]
    assert not single, f"solution lines in the bundle: {single[:3]}"
    assert not [n for n, t in texts.items() if "BEGIN SOLUTION" in t and n.startswith(
        "assignment/")]
    assert "grader/mistakes/diagnose.py" in texts
    assert "grader/mistakes/generate.py" not in texts and "grader/mistakes/mutants.py" not in texts


def test_build_is_deterministic(bundle, tmp_path):
    again = make_autograder.build(tmp_path / "again.zip")
    assert again.read_bytes() == bundle.read_bytes()


def test_scripts_are_valid_bash(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(tmp_path)
    for script in ("setup.sh", "run_autograder"):
        subprocess.run(["bash", "-n", str(tmp_path / script)], check=True)


def run_in_layout(bundle, root, submission_files):
    """Unpack like Gradescope does, copy the submission, run run_autograder."""
    source = root / "source"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(source)
    for name in ("setup.sh", "run_autograder"):  # zipfile drops the mode bits
        (source / name).chmod(0o755)
    # setup.sh would compile the extension; reuse this checkout's build when there is one
    for so in (ROOT / "assignment" / "fast_layers").glob("*.so"):
        shutil.copy2(so, source / "assignment" / "fast_layers" / so.name)
    (root / "submission").mkdir(parents=True)
    for f in submission_files:
        shutil.copy2(f, root / "submission" / f.name)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    proc = subprocess.run([str(source / "run_autograder")], cwd=root, env=env,
                          check=False, capture_output=True, text=True, timeout=600)
    return proc, root / "results" / "results.json"


@pytest.mark.slow
def test_bundle_grades_a_sample_into_a_valid_results_json(bundle, tmp_path):
    sample = make_samples(tmp_path / "samples")["buggy"]
    proc, results = run_in_layout(bundle, tmp_path / "autograder",
                                  sorted(sample.glob("*.py")))
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(results.read_text())
    validate(data)
    assert 0 < data["score"] < sum(t["max_score"] for t in data["tests"])
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"])
    assert any(t["visibility"] == "after_published" for t in data["tests"])
    assert {t["status"] for t in data["tests"]} == {"passed", "failed"}
    if os.geteuid() == 0:  # as on Gradescope: the grader's files are now the grader's own
        source = tmp_path / "autograder" / "source"
        for rel in ("grader/golden/expected/manifest.json", "grader/checks/cases_conv.py"):
            assert (source / rel).stat().st_mode & 0o077 == 0, rel


@pytest.mark.slow
def test_unusable_submission_still_writes_valid_results(bundle, tmp_path):
    junk = tmp_path / "notes.md"
    junk.write_text("I did not do the assignment\n")
    proc, results = run_in_layout(bundle, tmp_path / "autograder", [junk])
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(results.read_text())
    validate(data)
    assert data["score"] == 0 and "could not be graded" in data["output"]


def test_schema_rejects_what_the_spec_forbids():
    validate({"score": 1.0, "tests": [{"score": 1, "max_score": 1, "status": "passed"}]})
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    for bad in ({"tests": [{"max_score": 1}]},                     # no score anywhere
                {"score": 1, "visibility": "public"},               # not a Gradescope value
                {"score": 1, "tests": [{"score": 1, "status": "error"}]},
                {"score": 1, "test": []}):                          # typo'd key
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def _fake(bin_dir, name, body):
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def run_setup(tmp_path, fakes):
    """setup.sh in a recreated /autograder, with only ``fakes`` (name -> sh body) on PATH:
    no apt-get, so it goes straight to choosing the interpreter."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in fakes.items():
        _fake(bin_dir, name, body)
    env = {"PATH": str(bin_dir), "AUTOGRADER_ROOT": str(tmp_path / "autograder")}
    return subprocess.run(["/bin/bash", str(make_autograder.TEMPLATES / "setup.sh")],
                          check=False, env=env, capture_output=True, text=True, timeout=60)


# a pyenv shim for a version that is not installed: on PATH, exits 127 when run
PYENV_SHIM = 'echo "pyenv: $(basename "$0"): command not found" >&2\nexit 127\n'


def test_setup_skips_a_python_that_does_not_run(tmp_path):
    """A failing ``python3.12`` shim ahead of a working 3.11: setup says it skipped the
    shim, names the 3.11 it chose, and builds the venv with it (the stand-in stops there,
    before anything is downloaded)."""
    real = sys.executable
    wrapper = (f'if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then echo "venv by $0"; exit 42; fi\n'
               f'exec "{real}" "$@"\n')
    proc = run_setup(tmp_path, {"python3.12": PYENV_SHIM, "python3.11": wrapper,
                                "python3": PYENV_SHIM})
    assert proc.returncode == 42, proc.stdout + proc.stderr
    version = ".".join(map(str, sys.version_info[:3]))
    assert f"skipping python3.12 ({tmp_path}/bin/python3.12)" in proc.stdout
    assert f"using python3.11 ({tmp_path}/bin/python3.11, Python {version})" in proc.stdout
    assert f"venv by {tmp_path}/bin/python3.11" in proc.stdout


def test_setup_skips_a_python_too_old_or_without_venv(tmp_path):
    """A python3.11 that runs but cannot make a venv (Debian without python3.11-venv) and a
    Python 3.10: neither is taken; the working python3 is."""
    real = sys.executable
    # both run the probe ("$2" after -c) in a Python that lacks ensurepip, or claims 3.10
    no_venv = (f'exec "{real}" -c "import sys; sys.modules[\'ensurepip\'] = None; '
               'exec(sys.argv[1])" "$2"\n')
    old = f'exec "{real}" -c "import sys; sys.version_info = (3, 10); exec(sys.argv[1])" "$2"\n'
    wrapper = (f'if [ "$1" = "-m" ]; then echo "venv by $0"; exit 42; fi\n'
               f'exec "{real}" "$@"\n')
    proc = run_setup(tmp_path, {"python3.12": old, "python3.11": no_venv, "python3": wrapper})
    assert proc.returncode == 42, proc.stdout + proc.stderr
    assert "skipping python3.12" in proc.stdout and "skipping python3.11" in proc.stdout
    assert f"using python3 ({tmp_path}/bin/python3," in proc.stdout


def test_setup_without_a_working_python_says_so(tmp_path):
    proc = run_setup(tmp_path, {"python3.12": PYENV_SHIM, "python3": PYENV_SHIM})
    assert proc.returncode == 1
    assert "no working Python >= 3.11" in proc.stderr
    assert not (tmp_path / "autograder" / "venv").exists()
