"""Notebooks are graded on what they show: locked cells, no free points, no leaks.

Most tests use a small release ("Mini": a setup cell, two locked checks, the student's own
cell) made by the real generator (:func:`tools.student_notebook.student_notebook`), so
each notebook runs in well under a second; the last ones grade the assignment's own
notebooks. Each of these was passed with full notebook points by the former "runs clean"
grading.
"""

import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (extra: notebooks)")
pytest.importorskip("nbclient", reason="nbclient is not installed (extra: notebooks)")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (extra: notebooks)")

from grader.notebooks import NotebookSpec, load_release, notebook_checks, rebuild
from grader.notebooks.release import static_tampering
from grader.samples import reference_sources, skeleton
from tools.student_notebook import dumps, student_notebook

pytestmark = pytest.mark.notebook
ROOT = Path(__file__).resolve().parents[3]

SETUP = """\
import numpy as np
from assignment.implementation import conv_layers, layers


def report(name, error, tolerance):
    verdict = "ok" if error < tolerance else f"TOO LARGE: expected below {tolerance:.0e}"
    print(f"{name:>28}: {error:.4e}   {verdict}")
"""
CONV = """\
x, w, b = np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), np.zeros(1)
out, _ = conv_layers.conv_forward_naive(x, w, b, {"stride": 1, "pad": 1})
report("conv centre", abs(out[0, 0, 1, 1] - 9.0), 1e-9)
"""
RELU = """\
out, _ = layers.relu_forward(np.array([-1.0, 2.0]))
report("relu", np.abs(out - [0.0, 2.0]).max(), 1e-12)
"""
MINE = """\
### BEGIN SOLUTION
answer = 42
### END SOLUTION
"""
HOOK = "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)"
FAST = dict(cell_timeout=20, budget=60)


def solution(*cells):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3",
                                                           "display_name": "Python 3",
                                                           "language": "python"}})
    for i, (kind, src) in enumerate(cells):
        cell = (nbformat.v4.new_markdown_cell(src) if kind == "md"
                else nbformat.v4.new_code_cell(src))
        cell.id = f"cell-{i:02d}"
        if kind == "mine":
            cell.metadata["task"] = "your own cell"
        nb.cells.append(cell)
    return nb


MINI = solution(("md", "# Mini"), ("code", SETUP), ("code", CONV), ("code", RELU),
                ("mine", MINE))


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """A release folder holding Mini and Mini2 (the same notebook), as `make student`
    writes them."""
    folder = tmp_path_factory.mktemp("release")
    for name in ("Mini", "Mini2"):
        (folder / f"{name}.ipynb").write_text(dumps(student_notebook(MINI, f"{name}.ipynb")))
    return folder


def submission(folder, conv="reference", **notebooks):
    """A submission: the reference modules (``conv="skeleton"``: conv_layers.py as handed
    out) and the given notebooks (NotebookNode or raw text)."""
    folder.mkdir(parents=True, exist_ok=True)
    for module, text in reference_sources().items():
        if module == "conv_layers" and conv == "skeleton":
            text = skeleton(text)
        (folder / f"{module}.py").write_text(text)
    for name, nb in notebooks.items():
        text = nb if isinstance(nb, str) else nbformat.writes(nb)
        (folder / f"{name}.ipynb").write_text(text)
    return folder


def honest():
    """What a student who did the work hands in: the release with their own cell filled."""
    nb = student_notebook(MINI, "Mini.ipynb")
    nb.cells[4].source = "answer = 42"
    return nb


def grade(folder, release, names=("Mini",)):
    return notebook_checks(folder, [NotebookSpec(n, **FAST) for n in names],
                           release_dir=release)


def test_honest_notebook_gets_full_points(tmp_path, release):
    (check,) = grade(submission(tmp_path / "s", Mini=honest()), release)
    assert (check.status, check.score, check.max_score) == ("passed", 2.0, 2.0), check.feedback
    assert [r["passed"] for r in check.details["checks"]] == [True, True]
    assert not check.details["flags"] and not check.details["edited"]


def test_the_solution_notebook_itself_is_honest(tmp_path, release):
    """No grading metadata at all (a notebook saved from the solutions): matched by the
    cells' nbformat ids."""
    (check,) = grade(submission(tmp_path / "s", Mini=MINI), release)
    assert check.score == 2.0, check.feedback


def test_emptied_notebook_earns_nothing(tmp_path, release):
    empty = nbformat.v4.new_notebook()
    (check,) = grade(submission(tmp_path / "s", Mini=empty), release)
    assert check.score == 0 and check.status == "failed", check.feedback
    assert check.details["deleted"] == [1, 2, 3] and "deleted" in check.feedback
    # restored and run all the same: the report shows what the code does
    assert all("as handed out" not in r["reason"] for r in check.details["checks"])


def test_pass_cells_earn_nothing(tmp_path, release):
    nb = honest()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = "pass"
    (check,) = grade(submission(tmp_path / "s", Mini=nb), release)
    assert check.score == 0, check.feedback
    assert check.details["edited"] == [1, 2, 3] and "were edited" in check.feedback


def test_edited_locked_cell_is_restored_and_earns_nothing(tmp_path, release):
    """conv_layers.py as handed out; the conv check's cell rewritten to print a pass."""
    nb = honest()
    nb.cells[2].source = 'print("                 conv centre: 0.0000e+00   ok")'
    (check,) = grade(submission(tmp_path / "s", conv="skeleton", Mini=nb), release)
    conv, relu = check.details["checks"]
    assert not conv["passed"] and conv["earned"] == 0 and conv["state"] == "edited"
    assert "NotImplementedError" in conv["reason"], conv  # the release's code ran
    assert relu["passed"] and check.score == 1.0, check.feedback
    assert check.details["edited"] == [2]


def test_rebuild_takes_locked_cells_from_the_release_and_drops_added_ones(release):
    nb = honest()
    nb.cells[2].source = "print('mine now')"
    nb.cells.insert(0, nbformat.v4.new_code_cell("extra = 1"))
    nb.cells[5].source = "answer = 7"
    rel, cells = load_release("Mini", release)
    built, merge = rebuild(nb, rel, cells)
    assert [c.source for c in built.cells[:4]] == [c.source for c in rel.cells[:4]]
    assert built.cells[4].source == "answer = 7"
    assert merge.state == {"cell-00": "intact", "cell-01": "intact", "cell-02": "edited",
                           "cell-03": "intact", "cell-04": "submitted"}
    assert merge.added == [(0, "extra = 1")]


def test_an_added_cell_is_not_run_and_costs_nothing(tmp_path, release):
    nb = honest()
    nb.cells.insert(2, nbformat.v4.new_code_cell("raise SystemExit('added')"))
    (check,) = grade(submission(tmp_path / "s", Mini=nb), release)
    assert check.score == 2.0 and "you added were not run" in check.feedback


def test_swallowing_hook_in_an_added_first_cell(tmp_path, release):
    """The hook never runs (the cell is not the release's), the errors of the unfinished
    conv_layers.py count, and the notebook is flagged: no points."""
    nb = honest()
    nb.cells.insert(1, nbformat.v4.new_code_cell(HOOK))
    (check,) = grade(submission(tmp_path / "s", conv="skeleton", Mini=nb), release)
    assert check.score == 0 and check.status == "failed", check.feedback
    assert check.feedback.startswith("FLAGGED") and check.details["flags"]
    assert "custom exception handler" in check.details["flags"][0]
    assert "NotImplementedError" in check.details["checks"][0]["reason"]


def test_swallowing_hook_in_the_students_own_cell_is_seen_running(tmp_path, release):
    """The student's cell runs (it is theirs): obfuscated, the static scan misses the hook,
    the probe after the cell sees it."""
    nb = honest()
    nb.cells[4].source = ("ip = get_ipython()\n"
                          "getattr(ip, 'set_' + 'custom' + '_exc')((BaseException,), "
                          "lambda *a, **k: None)")
    (check,) = grade(submission(tmp_path / "s", Mini=nb), release)
    assert check.score == 0 and check.details["flags"], check.feedback
    assert any("your cell" in f for f in check.details["flags"]), check.details["flags"]


def test_hook_installed_by_the_modules_is_seen_and_the_error_still_counts(tmp_path, release):
    """conv_layers.py (unfinished) installs the hook when imported: the kernel's reply still
    says error, and the probe after the setup cell flags the change."""
    sub = submission(tmp_path / "s", conv="skeleton", Mini=honest())
    conv = sub / "conv_layers.py"
    conv.write_text("from IPython import get_ipython as _g\n"
                    "_g().set_custom_exc((BaseException,), lambda *a, **k: None)\n"
                    + conv.read_text())
    (check,) = grade(sub, release)
    assert check.score == 0 and check.details["flags"], check.feedback
    assert "your functions, while code cell 1 ran" in check.details["flags"][0]
    assert "NotImplementedError" in check.details["checks"][0]["reason"]


def test_swallowing_hook_in_an_earlier_notebook_does_not_reach_the_next(tmp_path, release):
    """Mini installs the hook in the student's cell and is flagged; Mini2, run after it,
    gets a fresh kernel: its unfinished conv check fails as it should."""
    first = honest()
    first.cells[4].source = HOOK
    sub = submission(tmp_path / "s", conv="skeleton", Mini=first, Mini2=honest())
    a, b = grade(sub, release, ("Mini", "Mini2"))
    assert a.score == 0 and a.details["flags"]
    assert not b.details["flags"] and b.score == 1.0, b.feedback
    assert "NotImplementedError" in b.details["checks"][0]["reason"]


def test_other_tampering_is_flagged(tmp_path, release):
    """An event callback clearing errors and a replaced builtin, from the student's cell."""
    for code, words in (
            ("def clear(result):\n    result.error_in_exec = None\n"
             "get_ipython().events.register('post_run_cell', clear)", "callback"),
            ("import builtins\nbuiltins.print = lambda *a, **k: None", "builtins"),
            ("import sys\nsys.excepthook = lambda *a: None", "excepthook")):
        nb = honest()
        nb.cells[4].source = code
        (check,) = grade(submission(tmp_path / words, Mini=nb), release)
        assert check.score == 0 and check.details["flags"], (code, check.feedback)
        assert any(words in f for f in check.details["flags"]), check.details["flags"]


def test_missing_and_malformed_notebooks(tmp_path, release):
    bad_cells = nbformat.writes(honest()).replace('"cell_type": "code"', '"cell_type": 7', 1)
    weird = honest()
    weird.cells[2].metadata["grader"] = {"id": ["not", "a", "string"], "role": "student"}
    weird.cells[4].metadata["grader"] = {"id": "cell-02", "role": "locked"}
    weird.cells[4].source = "answer = 1"
    for name, text, status in (("Mini", "{not json", "error"), ("Mini2", bad_cells, "error")):
        sub = submission(tmp_path / name, **{name: text})
        check = {c.id: c for c in grade(sub, release, ("Mini", "Mini2"))}
        assert check[f"notebooks.{name}"].status == status
        assert "not a valid notebook" in check[f"notebooks.{name}"].feedback
        other = "Mini2" if name == "Mini" else "Mini"
        assert check[f"notebooks.{other}"].status == "missing"
        assert check[f"notebooks.{other}"].score == 0
    # metadata that lies about ids and roles: roles come from the release only
    (check,) = grade(submission(tmp_path / "weird", Mini=weird), release)
    assert check.score == 2.0, check.feedback
    assert check.details["edited"] == [] and check.details["deleted"] == []


def test_static_scan_of_the_release_finds_nothing():
    for name in ("ConvolutionalNetworks", "SpatialBatchNorm", "CNN"):
        nb = nbformat.read(ROOT / "notebooks" / "solutions" / f"{name}.ipynb", as_version=4)
        assert static_tampering(nb) == [], name


# ------------------------------------------------------------------ the assignment's notebooks
@pytest.fixture(scope="module")
def assignment_runs(tmp_path_factory):
    """Two submissions with the reference's modules: one hands in the solution notebooks
    (honest), the other an emptied ConvolutionalNetworks, SpatialBatchNorm with every code
    cell replaced by ``pass`` and no CNN notebook."""
    from grader.notebooks import RUBRIC

    base = tmp_path_factory.mktemp("assignment")
    solutions = ROOT / "notebooks" / "solutions"
    good = submission(base / "good")
    for nb in solutions.glob("*.ipynb"):
        shutil.copyfile(nb, good / nb.name)
    passes = nbformat.read(solutions / "SpatialBatchNorm.ipynb", as_version=4)
    for cell in passes.cells:
        if cell.cell_type == "code":
            cell.source = "pass"
    lazy = submission(base / "lazy", ConvolutionalNetworks=nbformat.v4.new_notebook(),
                      SpatialBatchNorm=passes)
    return ({c.id: c for c in notebook_checks(good, RUBRIC)},
            {c.id: c for c in notebook_checks(lazy, RUBRIC)})


@pytest.mark.slow
def test_assignment_notebooks_honest_full_points(assignment_runs):
    good, _ = assignment_runs
    for cid, check in good.items():
        assert check.score == check.max_score and check.status == "passed", (cid,
                                                                             check.feedback)
        assert all(r["passed"] for r in check.details["checks"]), check.details["checks"]


@pytest.mark.slow
def test_assignment_notebooks_emptied_pass_and_missing_earn_nothing(assignment_runs):
    _, lazy = assignment_runs
    conv, sbn, cnn = (lazy[f"notebooks.{n}"] for n in
                      ("ConvolutionalNetworks", "SpatialBatchNorm", "CNN"))
    assert conv.score == 0 and len(conv.details["deleted"]) == 13, conv.feedback
    assert sbn.score == 0 and len(sbn.details["edited"]) == 4, sbn.feedback
    assert cnn.score == 0 and cnn.status == "missing"
