"""The worker: confinement, time limits, crashes and restarts, and what it may send back."""

import os
import time

import numpy as np
import pytest

from grader.golden import store as golden
from grader.sandbox import Sandbox, StudentError, StudentModules


def sandbox(layers, **kw):
    kw.setdefault("timeout", 3.0)
    return Sandbox({"layers": layers.encode()}, **kw)


def call(sb, fn="f", *args):
    return sb.call(f"layers.{fn}", *args)


def test_confinement_is_applied():
    with sandbox("def f():\n    return 1\n") as sb:
        assert call(sb) == 1
        c = sb.confinement
        assert c["limits"]["RLIMIT_AS"] > 0
        if os.uname().machine == "x86_64":
            assert c["seccomp"] is True


def test_cannot_read_expected_outputs_or_reference():
    src = (f"def f():\n    return open({str(golden.EXPECTED_DIR / golden.MANIFEST)!r}).read()\n"
           "def g():\n    import assignment.reference\n")
    with sandbox(src) as sb:
        sb.start()
        with pytest.raises(StudentError) as e:
            call(sb, "g")
        assert "reference" in e.value.message
        c = sb.confinement
        if c.get("landlock_abi", 0) > 0 or c.get("private_view"):
            # Landlock denies it; the private view has no such file at all
            with pytest.raises(StudentError, match="Permission|denied|No such file"):
                call(sb)


def test_landlock_alone_hides_the_grader():
    """The Landlock layer on its own (the private view switched off in the worker's copy)."""
    src = f"def f():\n    return open({str(golden.EXPECTED_DIR / golden.MANIFEST)!r}).read()\n"
    with sandbox(src) as sb:
        view = sb.scratch / "_grader_private_view.py"
        view.write_text(view.read_text() + "\n\ndef private_view(*a, **k):\n"
                        "    raise OSError(1, 'switched off by the test')\n")
        c = sb.start()
        if not c.get("landlock_abi"):
            pytest.skip("no Landlock on this kernel")
        assert c["private_view"] is False, c
        with pytest.raises(StudentError, match="Permission|denied"):
            call(sb)


@pytest.mark.parametrize("body, kind", [
    ("import os\n    os._exit(0)", "crash"),
    ("import ctypes\n    ctypes.string_at(0)", "crash"),
    ("import signal\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    while True: pass",
     "timeout"),
    ("raise SystemExit(0)", "exception"),
    ("raise NotImplementedError", "not_implemented"),
])
def test_failures_cost_only_the_call_and_the_worker_restarts(body, kind):
    src = f"def bad():\n    {body}\n\ndef good():\n    return 42\n"
    with sandbox(src, timeout=1.0) as sb:
        start = time.monotonic()
        with pytest.raises(StudentError) as e:
            call(sb, "bad")
        assert e.value.kind == kind
        assert time.monotonic() - start < 5
        assert call(sb, "good") == 42


def test_exit_at_import_marks_module_broken_quickly():
    with sandbox("import os\nos._exit(3)\n") as sb:
        for _ in range(3):
            with pytest.raises(StudentError) as e:
                call(sb)
            assert e.value.kind == "import_error"
        assert sb.restarts <= 1


def test_no_fork_no_exec_no_killing_the_parent():
    src = ("import os, signal\n"
           "def fork():\n    return os.fork()\n"
           "def run():\n    import subprocess\n    return subprocess.run(['true']).returncode\n"
           "def kill():\n    os.kill(os.getppid(), signal.SIGKILL)\n")
    with sandbox(src) as sb:
        if not sb.start().get("seccomp"):
            pytest.skip("no seccomp on this platform")
        for fn in ("fork", "run", "kill"):
            with pytest.raises(StudentError) as e:
                call(sb, fn)
            assert e.value.kind == "exception"


def test_prints_and_stray_fds_do_not_reach_the_protocol():
    src = ("import os\ndef f():\n    print('{\"ok\": true, \"value\": 99}' * 100000)\n"
           "    os.write(1, b'x' * 100000)\n    return 7\n")
    with sandbox(src) as sb:
        assert call(sb) == 7


def test_memory_bomb_is_stopped():
    with sandbox("def f():\n    return bytearray(8 << 30)\n") as sb:
        with pytest.raises(StudentError) as e:
            call(sb)
        assert "MemoryError" in e.value.message


def test_results_are_plain_data():
    src = ("import numpy as np\nclass Sub(np.ndarray):\n    pass\n"
           "def obj():\n    return np.array([object()], dtype=object)\n"
           "def sub():\n    return np.zeros(3).view(Sub)\n"
           "def cache():\n    return np.ones(2), (1, [2])\n")
    with sandbox(src) as sb:
        assert type(call(sb, "sub")) is np.ndarray
        assert not isinstance(call(sb, "obj"), np.ndarray)  # a handle, never an object array
        out, cache = call(sb, "cache")
        assert isinstance(out, np.ndarray) and not isinstance(cache, tuple)


def test_dict_arguments_come_back_updated():
    src = "def f(d):\n    d['n'] = d.get('n', 0) + 1\n    return None\n"
    with sandbox(src) as sb:
        d = {"n": 1}
        call(sb, "f", d)
        assert d == {"n": 2}


def test_plain_imports_and_cs231n_aliases_work():
    files = {"layers": b"def f():\n    return 5\n",
             "conv_layers": b"from layers import f\nfrom cs231n.layers import f as g\n"
                            b"def h():\n    return f() + g()\n"}
    with Sandbox(files, timeout=3) as sb:
        assert StudentModules(sb).conv_layers.h() == 10


# ------------------------------------------------------------------ layers beside Landlock
def _without_landlock(sb):
    """What a host without Landlock runs: the worker's copy of confine reports ABI 0."""
    confine = sb.scratch / "_grader_confine.py"
    confine.write_text(confine.read_text() + "\n\ndef landlock_abi():\n    return 0\n")


VIEW_PROBE = f"""\
import ctypes, os
def f():
    libc = ctypes.CDLL(None, use_errno=True)
    seen = {{}}
    seen["grader"] = os.path.exists({str(golden.EXPECTED_DIR)!r})
    seen["proc"] = os.path.exists("/proc/self")
    seen["umount"] = libc.umount2(b"/", 2) == 0
    seen["unshare"] = libc.unshare(0x00020000) == 0
    try:
        open("written.txt", "w").write("x")
        seen["write"] = True
    except OSError:
        seen["write"] = False
    open("/dev/null", "w").write("fine")
    return [k for k, v in seen.items() if v]
"""


def test_private_view_hides_the_grader_without_landlock():
    """The mount-namespace layer alone: the grader's files do not exist, nothing is writable,
    and the view cannot be undone (no capabilities, no mount syscalls)."""
    with sandbox(VIEW_PROBE) as sb:
        _without_landlock(sb)
        c = sb.start()
        if not c.get("private_view"):
            pytest.skip(f"no mount namespace here: {c.get('private_view_error')}")
        assert c["landlock_abi"] == 0 and "landlock" not in c["layers"], c
        assert "private_view" in c["layers"] and c["capabilities_dropped"] is True, c
        assert call(sb) == [], "the worker reached outside its private view"


def test_layers_are_recorded():
    with sandbox("def f():\n    return 1\n") as sb:
        c = sb.start()
        assert c["layers"][0] == "rlimits"
        assert ("unprivileged_uid" in c["layers"]) != bool(c.get("unprivileged_uid_skipped"))
        if os.uname().machine == "x86_64":
            assert "seccomp" in c["layers"]


def test_worker_that_cannot_start_as_nobody_falls_back(monkeypatch):
    """A root grader whose Python ``nobody`` cannot run: recorded, not a crash."""
    from grader.sandbox import process as sandbox_module

    if os.geteuid() != 0:
        pytest.skip("only a root grader starts the worker as nobody")
    monkeypatch.setattr(sandbox_module, "unprivileged_user", lambda scratch: (65534, 65534, None))
    with sandbox("def f():\n    return 3\n") as sb:
        assert call(sb) == 3
        c = sb.confinement
        assert "unprivileged_uid" in c["layers"] or "did not start" in c[
            "unprivileged_uid_skipped"], c


def _without_file_hiding(sb):
    """A host with neither Landlock nor mount namespaces (the worker's confine copy says so)."""
    confine = sb.scratch / "_grader_confine.py"
    confine.write_text(confine.read_text()
                       + "\n\ndef apply_landlock(read_paths, write_paths):\n    return 0\n")
    view = sb.scratch / "_grader_private_view.py"
    view.write_text(view.read_text() + "\n\ndef private_view(*args, **kwargs):\n"
                    "    raise OSError('no mount namespace')\n")


def test_worker_reports_whether_the_answers_are_readable():
    with sandbox("def f():\n    return 1\n") as sb:
        assert sb.start()["secrets_readable"] == []
    with sandbox("def f():\n    return 1\n") as sb:
        _without_file_hiding(sb)
        c = sb.start()
        assert "landlock" not in c["layers"] and "private_view" not in c["layers"], c
        assert any(p.endswith("manifest.json") for p in c["secrets_readable"]), c


def test_grading_is_refused_when_the_answers_are_readable(reference_dir, monkeypatch):
    from grader import api
    from grader.sandbox import process as sandbox_module

    real_start = sandbox_module.Sandbox.start

    def start_unhidden(self):
        if self.proc is None:
            _without_file_hiding(self)
        return real_start(self)

    monkeypatch.setattr(sandbox_module.Sandbox, "start", start_unhidden)
    monkeypatch.delenv("GRADER_ALLOW_VISIBLE_ORACLE", raising=False)
    with pytest.raises(api.GraderError, match="cannot hide the answers"):
        api.grade(reference_dir, compare=False)
    monkeypatch.setenv("GRADER_ALLOW_VISIBLE_ORACLE", "1")
    assert api.grade(reference_dir, compare=False).score > 0
