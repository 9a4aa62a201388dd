"""The command line: exit statuses and the samples."""

import subprocess
import sys

import pytest


def run(*args):
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True,
                          text=True, timeout=120)


def test_graded_submission_exits_0_whatever_the_score(skeleton_dir):
    p = run("grade", str(skeleton_dir), "--no-compare")
    assert p.returncode == 0, p.stderr
    assert "total: 0/" in p.stdout


def test_skeleton_table_has_a_row_per_function_not_per_check(skeleton_dir):
    """Nothing written: each function says "not implemented" once, however many checks
    judge it; ``--checks`` lists the checks under their functions."""
    from grader.checks import all_cases

    p = run("grade", str(skeleton_dir), "--no-compare")
    ids = {c.id for c in all_cases()}
    # feedback starts "    <check id>: ..." under its function's row
    said = [line for line in p.stdout.splitlines()
            if line.startswith("    ") and line.split(":")[0].strip().split(" ")[0] in ids]
    functions = {c.function for c in all_cases()}
    assert 0 < len(said) <= len(functions) < len(ids), p.stdout
    assert "conv_forward_naive.stride3_pad0" not in p.stdout
    assert "conv_layers.py  0/" in p.stdout
    listed = run("grade", str(skeleton_dir), "--no-compare", "--checks")
    assert all(c.id in listed.stdout for c in all_cases())


def test_unusable_input_exits_2(tmp_path):
    p = run("grade", str(tmp_path / "missing"))
    assert p.returncode == 2 and "does not exist" in p.stderr


@pytest.mark.slow
def test_samples_grade_complete_partial_buggy():
    p = run("samples")
    assert p.returncode == 0, p.stderr
    summary = p.stdout.strip().splitlines()[-3:]
    assert summary[0].startswith("complete: ") and "failed" not in summary[0]
    assert summary[1].startswith("partial: ") and summary[2].startswith("buggy: ")


def test_pytest_on_the_checks_folder_works(reference_dir):
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "grader/checks", "--submission", str(reference_dir), "-k", "conv_forward"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout[-2000:]
    assert "passed" in p.stdout


def test_notebooks_are_graded_when_the_submission_has_any(reference_dir, tmp_path):
    """A notebook in the submission turns notebook grading on (missing ones score 0, and so
    does one whose cells were all replaced);
    ``--no-notebooks`` turns it off; a .py-only submission is graded without them."""
    import shutil

    import nbformat

    sub = tmp_path / "sub"
    shutil.copytree(reference_dir, sub)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1 + 1")])
    nbformat.write(nb, sub / "CNN.ipynb")
    import json

    def notebook_rows(*args):
        out = tmp_path / "r.json"
        p = run("grade", *args, "--no-compare", "--json", str(out))
        assert p.returncode == 0, p.stderr
        return {c["id"]: c for c in json.loads(out.read_text())["checks"]
                if c["id"].startswith("notebooks.")}

    rows = notebook_rows(str(sub))
    assert set(rows) == {"notebooks.ConvolutionalNetworks", "notebooks.SpatialBatchNorm",
                         "notebooks.CNN"}, rows
    # a notebook that does not show its locked cells earns nothing (they run, restored)
    assert rows["notebooks.CNN"]["status"] == "failed", rows["notebooks.CNN"]
    assert rows["notebooks.CNN"]["score"] == 0 and "deleted" in rows["notebooks.CNN"]["feedback"]
    assert rows["notebooks.SpatialBatchNorm"]["status"] == "missing", rows
    assert notebook_rows(str(sub), "--no-notebooks") == {}
    assert notebook_rows(str(reference_dir)) == {}
