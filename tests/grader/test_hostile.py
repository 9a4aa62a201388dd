"""Hostile submissions against the real grader (``python -m grader grade``).

Every case of ``hostile/corpus.py`` is graded once, several at a time, by a session fixture;
each test then checks one case: no point it did not earn honestly, every untouched check
graded as for the reference, within its time budget, the grader neither crashed nor hung,
no process left behind, no file written outside the grader's scratch folders, reports intact.
``python tests/grader/hostile/report.py`` prints the same verdicts as a table.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile import corpus  # noqa: E402
from hostile.report import check_functions, function_of, run_all  # noqa: E402

CASES = {c.id: c for c in corpus.CASES}
JOBS = int(os.environ.get("HOSTILE_JOBS", "3"))


def _param(case):
    marks = [pytest.mark.slow] if case.slow else []
    return pytest.param(case.id, marks=marks, id=case.id)


@pytest.fixture(scope="session")
def corpus_run(request, tmp_path_factory):
    """Grade the reference and every selected case once: ``(reference, {id: outcome})``."""
    wanted = {item.callspec.params["case_id"] for item in request.session.items
              if hasattr(item, "callspec") and "case_id" in item.callspec.params}
    cases = [CASES[i] for i in CASES if i in wanted]
    base = tmp_path_factory.mktemp("hostile")
    ref, outcomes = run_all(cases, base, JOBS)
    assert ref.returncode == 0 and ref.result, f"the reference did not grade: {ref.stderr[-500:]}"
    lost = [c["id"] for c in ref.result["checks"]
            if c["group"] != "notebooks" and c["score"] != c["max_score"]]
    assert not lost, f"the reference lost points on {lost}"
    return ref, outcomes


@pytest.fixture(scope="session")
def functions():
    return check_functions()


@pytest.mark.parametrize("case_id", [_param(c) for c in corpus.CASES])
def test_hostile_case(case_id, corpus_run, functions):
    ref, outcomes = corpus_run
    case, outcome = CASES[case_id], outcomes[case_id]
    table = {c["id"]: (function_of(c["id"], functions), c["id"] in functions)
             for c in ref.result["checks"]}
    problems = corpus.violations(case, outcome, ref.result, table)
    assert not problems, f"{case_id} ({case.why or case.target}):\n  " + "\n  ".join(problems)


def test_sandbox_was_confined(corpus_run):
    """The corpus only means something if the worker really ran confined."""
    ref, _ = corpus_run
    sandbox = ref.result["environment"]["sandbox"]
    assert sandbox.get("seccomp") is True, sandbox
    assert sandbox.get("landlock_abi", 0) >= 1, sandbox


# ------------------------------------------------------------------------- one layer at a time
PROBE = textwrap.dedent("""\
    import ctypes, glob, os
    found = {}
    try:
        paths = glob.glob(%(expected)r + "/*.npz")
        np.load(paths[0], allow_pickle=False)
        found["read_expected"] = paths[0]
    except Exception:
        pass
    try:
        open(%(reference)r).read(10)
        found["read_reference"] = True
    except Exception:
        pass
    libc = ctypes.CDLL(None, use_errno=True)
    class SigVal(ctypes.Union):
        _fields_ = [("i", ctypes.c_int), ("p", ctypes.c_void_p)]
    if libc.sigqueue(os.getppid(), 0, SigVal(0)) == 0:  # signal 0: permission probe only
        found["may_signal_parent"] = "sigqueue"
    try:
        lo = int(open(f"/proc/{os.getppid()}/maps").readline().split("-")[0], 16)
        class IOV(ctypes.Structure):
            _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
        buf = ctypes.create_string_buffer(8)
        local, remote = IOV(ctypes.cast(buf, ctypes.c_void_p), 8), IOV(lo, 8)
        got = libc.process_vm_readv(os.getppid(), ctypes.byref(local), 1,
                                    ctypes.byref(remote), 1, 0)
        if got == 8:
            found["read_parent_memory"] = "process_vm_readv"
    except Exception:
        pass
    raise RuntimeError("PROBE " + repr(sorted(found)))
    """)


def _probe_sandbox(tmp_path, landlock):
    from grader.sandbox import Sandbox, StudentError

    code = PROBE % {"expected": str(corpus.ROOT / "grader" / "golden" / "expected"),
                    "reference": str(corpus.REFERENCE / "layers.py")}
    case = corpus.Case("probe", "optim.rmsprop", code)
    sub = corpus.build(case, tmp_path / "probe")
    files = {p.stem: p.read_bytes() for p in sub.glob("*.py")}
    sb = Sandbox(files, timeout=20)
    try:
        if not landlock:  # what a host without Landlock (old kernel, some containers) runs
            confine = sb.scratch / "_grader_confine.py"
            confine.write_text(confine.read_text() + "\n\ndef landlock_abi():\n    return 0\n")
        with pytest.raises(StudentError) as info:
            sb.call("optim.rmsprop", np.zeros(2), np.zeros(2), None)
        if not landlock:
            assert sb.confinement.get("landlock_abi") == 0, sb.confinement
        return info.value.message
    finally:
        sb.close()


def test_landlock_layer_blocks_the_probe(tmp_path):
    message = _probe_sandbox(tmp_path, landlock=True)
    assert "PROBE []" in message, message


def test_without_landlock_the_other_layers_still_hold(tmp_path):
    """The other layers alone (a host without Landlock) must still protect the oracle: the
    private file view hides ``grader/expected`` and the reference, seccomp denies
    ``sigqueue`` (rt_sigqueueinfo) and ``process_vm_readv`` as well as kill/tgkill."""
    message = _probe_sandbox(tmp_path, landlock=False)
    assert "PROBE []" in message, message


# ------------------------------------------------------------------------- batch mode
def _mallory(alice, tmp_path):
    return textwrap.dedent(f"""\
        import os, glob
        paths = glob.glob({str(alice)!r} + "/*.py")
        paths += glob.glob({str(tmp_path)!r} + "/**/*", recursive=True)
        for path in paths:
            try:
                with open(path, "a") as f:
                    f.write("\\n# mallory was here\\n")
            except Exception:
                pass
        try:
            src = open({str(alice / "conv_layers.py")!r}).read()
            ns = {{"np": np}}
            exec(src.replace("from .layers import batchnorm_backward, batchnorm_forward", ""), ns)
            return ns["conv_forward_naive"](x, w, b, conv_param)
        except Exception:
            pass
        return np.zeros((1,)), (x, w, b, conv_param)
        """)


@pytest.mark.slow
def test_batch_one_submission_cannot_change_another(tmp_path):
    """A hostile student next to an honest one: the honest grade and report are untouched."""
    from grader.batch.run import run_batch

    subs = tmp_path / "subs"
    alice = corpus.build_reference(subs / "alice").resolve()
    corpus.build_reference(subs / "bob")  # the same honest work, graded without a neighbour
    corpus.build(corpus.Case("mallory", corpus.CONV, _mallory(alice, tmp_path)), subs / "mallory")
    out = tmp_path / "grades"
    rows = {r.student: r for r in run_batch(subs, out, jobs=3, progress=False)}
    a, b = rows["alice"].result, rows["bob"].result
    assert [(c.id, c.score) for c in a.checks] == [(c.id, c.score) for c in b.checks]
    assert all(c.score == c.max_score for c in a.checks if c.group != "notebooks")
    assert "mallory was here" not in (alice / "conv_layers.py").read_text()
    assert "mallory was here" not in (out / "gradebook.csv").read_text()
    mal = rows["mallory"].result
    forward = [c for c in mal.checks if c.id.startswith("conv_forward_naive.") and
               c.id != "conv_forward_naive.batch"]
    assert forward and all(c.score == 0 for c in forward), [(c.id, c.score) for c in forward]
    report = json.loads((out / "students" / "alice.json").read_text())
    assert report["score"] == a.score


@pytest.mark.slow
def test_batch_names_cannot_collide(tmp_path):
    """``alice.zip`` next to ``alice/``: two rows, two reports, neither overwrites the other."""
    from grader.batch.run import run_batch

    subs = tmp_path / "subs"
    corpus.build_reference(subs / "alice")
    with zipfile.ZipFile(subs / "alice.zip", "w") as z:  # someone else claiming alice's name
        for name in corpus.FILES:
            z.writestr(name, "")
    rows = run_batch(subs, tmp_path / "grades", jobs=2, progress=False)
    names = [r.student for r in rows]
    assert len(set(names)) == len(names), (
        f"two submissions share the gradebook name {names}: their rows are ambiguous and "
        f"students/<name>.json / cache.json entries of one overwrite the other's")


# ------------------------------------------------------------------------- notebook kernel
NOTEBOOK_CELL = textwrap.dedent("""\
    import ctypes, glob, os, time
    found = []
    for p in glob.glob(%(expected)r + "/*") + [%(reference)r]:
        try:
            open(p, "rb").read(8)
            found.append("read " + p)
        except OSError:
            pass
    children = 0
    for _ in range(20):  # bounded: 20 children that sleep 20 s
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            os.setsid()  # leave the kernel's process group, as a daemon would
            ctypes.CDLL(None).prctl(15, b"hostile-nbfork", 0, 0, 0)
            time.sleep(20)
            os._exit(0)
        children += 1
    if children:
        found.append(f"forked {children} processes")
    if found:
        raise RuntimeError("HOSTILE-LEAK " + repr(found))
    """)


@pytest.mark.slow
@pytest.mark.notebook
def test_notebook_kernel_is_as_confined_as_the_worker(tmp_path):
    """A notebook cell may not read the oracle, fork, or leave processes behind."""
    nbformat = pytest.importorskip("nbformat")
    from grader.notebooks import NotebookSpec, run_notebook

    sub = corpus.build_reference(tmp_path / "sub")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(NOTEBOOK_CELL % {
        "expected": str(corpus.ROOT / "grader" / "golden" / "expected"),
        "reference": str(corpus.REFERENCE / "layers.py")})]
    path = sub / "Probe.ipynb"
    nbformat.write(nb, path)
    try:
        out = run_notebook(path, sub, NotebookSpec("Probe", cell_timeout=60, budget=90))
    finally:
        survivors = corpus._procs_named("hostile-nb")
        for pid, _ in survivors:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
    problems = [e["evalue"] for e in out["cell_errors"] if "HOSTILE-LEAK" in e["evalue"]]
    if out["status"] not in ("passed", "failed"):
        problems.append(f"status {out['status']}: {out['message']}")
    if survivors:
        problems.append(f"{len(survivors)} processes outlived the notebook kernel")
    if not out.get("landlock"):
        problems.append("the kernel was not confined by Landlock")
    assert not problems, problems
