"""The seccomp filter of :mod:`grader.sandbox.confine`, applied in a child process of the test.

Workers of a batch share one uid (``nobody``, or the grader's own), and "same uid" is all the
kernel asks before one process changes another's limits, priority or CPU affinity. So the
filter must refuse those calls on any pid but the caller's own, while ``setrlimit`` on
itself keeps working. A control run without the filter shows the same calls succeed, so the
test can fail.
"""

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import pytest

CONFINE = Path(__file__).resolve().parents[3] / "grader" / "sandbox" / "confine.py"

PROBE = r"""
import importlib.util, json, os, resource, sys
spec = importlib.util.spec_from_file_location("confine", sys.argv[1])
confine = importlib.util.module_from_spec(spec)
spec.loader.exec_module(confine)
target = int(sys.argv[2])
if sys.argv[3] == "filter":
    confine.apply_seccomp()
seen = {}
def attempt(name, fn):
    try:
        fn()
        seen[name] = "allowed"
    except OSError as exc:
        seen[name] = f"refused ({exc.errno})"
# Each change on the target is a no-op (its current value written back), so the control
# run harms nothing; that it is allowed at all is the hole.
nofile = resource.prlimit(target, resource.RLIMIT_NOFILE) if sys.argv[3] != "filter" else None
attempt("prlimit_other", lambda: resource.prlimit(
    target, resource.RLIMIT_NOFILE, nofile or resource.getrlimit(resource.RLIMIT_NOFILE)))
attempt("setpriority_other", lambda: os.setpriority(
    os.PRIO_PROCESS, target, os.getpriority(os.PRIO_PROCESS, target)))
attempt("setaffinity_other", lambda: os.sched_setaffinity(target, os.sched_getaffinity(target)))
attempt("sched_idle_other", lambda: os.sched_setscheduler(
    target, os.SCHED_IDLE, os.sched_param(0)) if sys.argv[3] == "filter" else None)
attempt("sched_other_other", lambda: os.sched_setscheduler(
    target, os.SCHED_OTHER, os.sched_param(0)))
attempt("setrlimit_self", lambda: resource.setrlimit(
    resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE)))
attempt("prlimit_self_pid", lambda: resource.prlimit(
    os.getpid(), resource.RLIMIT_CORE, (0, 0)))
print(json.dumps(seen))
"""


def _probe(target, mode):
    out = subprocess.run([sys.executable, "-c", PROBE, str(CONFINE), str(target), mode],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(platform.system() != "Linux" or platform.machine() != "x86_64",
                    reason="the seccomp filter exists on x86-64 Linux only")
def test_no_changing_another_process_of_the_same_uid():
    neighbour = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.2)
        control = _probe(neighbour.pid, "none")
        assert control == dict.fromkeys(control, "allowed"), control
        confined = _probe(neighbour.pid, "filter")
        assert confined["prlimit_other"].startswith("refused"), confined
        assert confined["setpriority_other"].startswith("refused"), confined
        assert confined["setaffinity_other"].startswith("refused"), confined
        assert confined["sched_idle_other"].startswith("refused"), confined
        assert confined["sched_other_other"] == "allowed", confined  # what libzmq needs
        assert confined["setrlimit_self"] == "allowed", confined
        assert confined["prlimit_self_pid"] == "allowed", confined
        assert neighbour.poll() is None
    finally:
        neighbour.kill()
        neighbour.wait()


@pytest.mark.skipif(platform.system() != "Linux", reason="Linux only")
def test_parent_keeps_its_limits_after_a_confined_child_tries():
    before = open(f"/proc/{os.getpid()}/limits").read()
    _probe(os.getpid(), "filter")
    assert open(f"/proc/{os.getpid()}/limits").read() == before
