"""Submitted notebooks are re-executed in confined kernels (one per notebook), with
timeouts and a budget."""

import json
import os
import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (extra: notebooks)")
pytest.importorskip("nbclient", reason="nbclient is not installed (extra: notebooks)")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (extra: notebooks)")

from grader import notebooks
from grader.notebooks import NotebookSpec, notebook_checks, run_notebook, staging
from grader.reports import html as html_report
from grader.result import Result
from grader.sandbox.confine import landlock_abi

pytestmark = pytest.mark.notebook
ROOT = Path(__file__).resolve().parents[3]
SECRET = Path(notebooks.__file__).resolve().parents[1] / "result.py"
FAST = NotebookSpec("Nb", cell_timeout=20, budget=60)


def write_nb(path, *cells, stored=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    if stored is not None:  # a fake stored output that must not be trusted
        nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": stored},
                                                      execution_count=1)]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def sub(tmp_path):
    """A submission folder holding the reference modules (as a student's files)."""
    d = tmp_path / "sub"
    d.mkdir()
    for m in staging.STUDENT_MODULES:
        shutil.copyfile(ROOT / "assignment" / "reference" / m, d / m)
    return d


def test_clean_notebook_passes_and_keeps_figures(sub):
    nb = write_nb(sub / "Nb.ipynb",
                  "import os\nassert os.environ['ASSIGNMENT_SMALL_DATA'] == '1'",
                  "from assignment.implementation import IMPL, layers\n"
                  "assert IMPL == 'student' and layers.__name__ == 'assignment.student.layers'",
                  "import matplotlib.pyplot as plt\nplt.plot([0, 1]); plt.show()",
                  stored="'this stored output is never trusted'")
    run = run_notebook(nb, sub, FAST)
    assert run["status"] == "passed", run
    assert run["cells"] == run["executed"] == 3 and not run["cell_errors"]
    assert len(run["figures"]) == 1 and run["figures"][0]["cell"] == 3


def test_stored_outputs_are_thrown_away_and_the_code_rerun(sub):
    """A notebook whose stored output claims success while its code fails: re-executed, it
    fails, and the stored text is in no output the grader keeps."""
    nb = write_nb(sub / "Nb.ipynb", "raise RuntimeError('the real result')",
                  stored="'all checks passed'")
    run = run_notebook(nb, sub, FAST)
    assert run["status"] == "failed", run
    assert [e["ename"] for e in run["cell_errors"]] == ["RuntimeError"], run
    assert "all checks passed" not in json.dumps(run), run


def test_errors_are_recorded_per_cell_and_execution_goes_on(sub):
    nb = write_nb(sub / "Nb.ipynb", "x = 1", "1 / 0", "y = undefined_name", "z = x + 1")
    run = run_notebook(nb, sub, FAST)
    assert run["status"] == "failed" and run["executed"] == 4
    assert [(e["cell"], e["ename"]) for e in run["cell_errors"]] == [
        (2, "ZeroDivisionError"), (3, "NameError")]


def test_kernel_cannot_reach_the_reference_or_the_grader(sub, monkeypatch):
    monkeypatch.setenv("GRADER_TEST_SECRET", "s3cret")
    nb = write_nb(sub / "Nb.ipynb",
                  "import assignment.reference",
                  f"open({str(SECRET)!r}).read()",
                  "import os\nassert 'GRADER_TEST_SECRET' not in os.environ",
                  "assert os.environ['HOME'] != os.path.expanduser('~root')")
    run = run_notebook(nb, sub, FAST)
    errors = {e["cell"]: e["ename"] for e in run["cell_errors"]}
    assert errors.get(1) == "ModuleNotFoundError"
    assert 3 not in errors and 4 not in errors
    if landlock_abi() == 0:
        pytest.skip("Landlock unavailable on this kernel: file reads are not confined")
    assert errors.get(2) == "PermissionError" and run["landlock"] > 0


@pytest.mark.skipif(os.uname().machine != "x86_64" or not Path("/proc/self").exists(),
                    reason="the kernel's seccomp filter is x86-64 Linux only")
def test_kernel_may_not_fork_exec_or_open_inet_sockets_but_threads_work(sub):
    nb = write_nb(sub / "Nb.ipynb",
                  "import os\nos.fork()",
                  "import subprocess\nsubprocess.run(['true'])",
                  "import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                  "import os, signal\nos.kill(1, 0)",
                  "import threading\nbox = []\nt = threading.Thread(target=box.append, args=(1,))\n"
                  "t.start(); t.join(); assert box == [1]\n"
                  "import socket\na, b = socket.socketpair(); a.send(b'x'); assert b.recv(1) == b'x'")
    run = run_notebook(nb, sub, FAST)
    assert run["seccomp"] is True
    errors = {e["cell"]: e["ename"] for e in run["cell_errors"]}
    assert errors == {1: "PermissionError", 2: "PermissionError", 3: "OSError",
                      4: "PermissionError"}, run["cell_errors"]


def test_cell_timeout_and_total_budget(sub):
    nb = write_nb(sub / "Nb.ipynb", "x = 1", "while True:\n    pass", "print('never')")
    run = run_notebook(nb, sub, NotebookSpec("Nb", cell_timeout=2, budget=60))
    assert run["status"] == "timeout" and "longer than 2 s" in run["message"]
    assert run["seconds"] < 30
    run = run_notebook(nb, sub, NotebookSpec("Nb", cell_timeout=60, budget=5))
    assert run["status"] == "timeout" and "5 s budget" in run["message"]
    assert run["seconds"] < 30


def test_budget_is_a_hard_stop_for_many_short_cells(sub):
    """Forty 0.4 s cells against a 3 s budget: no cell starts once the budget is spent."""
    nb = write_nb(sub / "Nb.ipynb", *["import time\ntime.sleep(0.4)"] * 40)
    run = run_notebook(nb, sub, NotebookSpec("Nb", cell_timeout=10, budget=3))
    assert run["status"] == "timeout" and "3 s budget" in run["message"], run
    assert run["executed"] < 10, run
    assert run["seconds"] < 3 + 5, run  # the budget plus kernel start and shutdown


def _children():
    me = str(os.getpid())
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            kids.append(stat.parent.name)
    return kids


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_dead_kernel_is_an_error_and_no_kernel_is_left_behind(sub):
    # Children from before (another test's helpers, e.g. multiprocessing's resource
    # tracker, live as long as this process) are not the notebook run's.
    before = set(_children())
    nb = write_nb(sub / "Nb.ipynb", "import os\nos._exit(3)")
    run = run_notebook(nb, sub, FAST)
    assert run["status"] == "error" and "kernel died" in run["message"]
    assert set(_children()) - before == set()


def test_each_notebook_gets_a_fresh_kernel_and_survives_a_dead_one(sub):
    """No state crosses notebooks: names, module attributes, figures, exception handlers;
    a kernel that dies costs only its own notebook."""
    from grader.notebooks import run_notebooks

    before = set(_children())
    a = write_nb(sub / "A.ipynb", "leak = 1",
                 "import assignment.student.layers as L\nL.LEAK = 1",
                 "import matplotlib.pyplot as plt\nplt.figure()",
                 "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)")
    b = write_nb(sub / "B.ipynb", "assert 'leak' not in globals()",
                 "import assignment.student.layers as L\nassert not hasattr(L, 'LEAK')",
                 "import matplotlib.pyplot as plt\nassert plt.get_fignums() == []",
                 "assert get_ipython().custom_exceptions == ()", "1 / 0")
    c = write_nb(sub / "C.ipynb", "import os\nos._exit(3)")
    d = write_nb(sub / "D.ipynb", "x = 1")
    spec = NotebookSpec("X", cell_timeout=20, budget=60)
    runs = run_notebooks([(p, spec) for p in (a, b, c, d)], sub)
    assert [r["status"] for r in runs] == ["passed", "failed", "error", "passed"], runs
    assert [(e["cell"], e["ename"]) for e in runs[1]["cell_errors"]] == [
        (5, "ZeroDivisionError")], runs[1]["cell_errors"]
    assert set(_children()) - before == set()


def test_the_kernel_reply_reports_an_error_whose_display_was_swallowed(sub):
    nb = write_nb(sub / "Nb.ipynb", "get_ipython().set_custom_exc((BaseException,), "
                  "lambda *a, **k: None)", "raise RuntimeError('hidden')")
    run = run_notebook(nb, sub, FAST)
    assert run["status"] == "failed", run
    assert run["cell_results"][1]["reply"] == "error"
    assert run["cell_results"][1]["ename"] == "RuntimeError"
    assert [e["ename"] for e in run["cell_errors"]] == ["RuntimeError"]


def test_kernels_are_forked_from_the_template(sub):
    """Each kernel is a child of the template process (which ran no student code), in a
    session of its own; the template imported numpy before the first cell."""
    nb = write_nb(sub / "Nb.ipynb", "import os, sys\n"
                  f"assert os.getppid() not in (1, {os.getpid()})\n"
                  "assert os.getsid(0) == os.getpid() and 'numpy' in sys.modules")
    run = run_notebook(nb, sub, FAST)
    assert run["status"] == "passed", run
    assert run["cell_results"][0]["reply"] == "ok"


def test_checks_missing_invalid_and_html(sub, tmp_path):
    from tools.student_notebook import dumps, student_notebook

    release = tmp_path / "release"
    release.mkdir()
    good = nbformat.v4.new_notebook()
    good.cells = [nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt\nfrom assignment.implementation import layers\n"
        "layers.relu_forward(plt.plot([1, 2])[0].get_ydata()); plt.show()")]
    for name in ("Good", "Broken", "Absent"):
        (release / f"{name}.ipynb").write_text(dumps(student_notebook(good, name)))
    shutil.copyfile(release / "Good.ipynb", sub / "Good.ipynb")
    (sub / "Broken.ipynb").write_text("{not json")
    rubric = [NotebookSpec("Good", points=3), NotebookSpec("Broken"), NotebookSpec("Absent")]
    checks = notebook_checks(sub, rubric, release_dir=release)
    assert [(c.id, c.status, c.score) for c in checks] == [
        ("notebooks.Good", "passed", 3), ("notebooks.Broken", "error", 0),
        ("notebooks.Absent", "missing", 0)], [c.feedback for c in checks]
    assert {c.group for c in checks} == {"notebooks"}
    assert "not a valid notebook" in checks[1].feedback
    page = html_report.render(Result("s", "0" * 64, "0.1.0", checks))
    assert page.count("data:image/png;base64,") == 1


@pytest.mark.slow
@pytest.mark.parametrize("name", [s.name for s in notebooks.RUBRIC])
def test_solution_notebooks_earn_full_points_against_the_reference(sub, name):
    src = ROOT / "notebooks" / "solutions" / f"{name}.ipynb"
    if not src.is_file():
        pytest.skip(f"{src} not written yet")
    shutil.copyfile(src, sub / src.name)
    (check,) = notebook_checks(sub, [s for s in notebooks.RUBRIC if s.name == name])
    assert check.status == "passed" and check.score == check.max_score, (
        check.feedback, check.details.get("cell_errors"))


def test_kernel_that_can_read_the_grader_runs_no_student_code(sub, monkeypatch):
    """A host without Landlock (simulated: Landlock off, the override not given): the
    kernel finds the grader's files readable and exits before any cell runs."""
    from grader.notebooks import kernel

    real_init = kernel.KernelBox.__init__

    def no_override(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self.allow_visible_oracle = False

    monkeypatch.setattr(kernel.KernelBox, "__init__", no_override)
    marker = sub / "ran.txt"
    nb = write_nb(sub / "Nb.ipynb", f"open({str(marker)!r}, 'w').write('x')")
    run = run_notebook(nb, sub, FAST, landlock=False)
    assert run["status"] == "error" and "could still read" in run["message"], run
    assert run["executed"] == 0 and not marker.exists(), run
