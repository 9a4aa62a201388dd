"""The parent side of the sandbox: a scratch folder, a worker process, and a proxy to it.

The scratch folder holds copies of the provided utilities (``assignment`` without
``reference``, ``student`` or ``implementation``), the submission as package
``submission``, and the worker's own three files. The worker imports from nowhere else
(``-S -s``, an explicit ``sys.path``) and confines itself with rlimits, a private file tree
(mount namespace), Landlock, dropped capabilities and seccomp (:mod:`grader.sandbox.confine`) before
it touches student code. A grader running as root starts the worker as ``nobody`` when that
user can run the Python installation (else the reason is recorded in the confinement).

:class:`Sandbox` sends one request at a time with a deadline; a worker that times out is
killed with SIGKILL (its whole process group), a worker that dies is restarted on the next
request, and every failure surfaces as :class:`StudentError` with a ``kind``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from . import protocol
from .errors import StudentError
from .protocol import Handle, ProtocolError
from .proxy import RemoteObject, _no_remote
from .scratch import STUDENT_MODULES, build_scratch, open_to_others, read_paths, view_links
from .scratch import TRUSTED_MODULES
from .users import secret_paths, unprivileged_user

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
DEFAULT_LIMITS = {"memory_bytes": 512 << 20, "cpu_seconds": 120, "nproc": 64,
                  "fsize_bytes": 64 << 20, "nofile": 64}



class Sandbox:
    """One submission's worker, restarted on demand.

    Parameters
    ----------
    files : dict of str to bytes
        Student files by module name.
    timeout : float
        Default seconds per call.
    limits : dict, optional
        Overrides of :data:`DEFAULT_LIMITS`.
    fast_layers : bool
        False: the worker has stand-ins instead of the provided fast layers (the naive
        layers are graded there, see :func:`~.scratch.build_scratch`).
    """

    def __init__(self, files, timeout=5.0, limits=None, start_timeout=30.0, fast_layers=True):
        self.files = dict(files)
        self.timeout = timeout
        self.start_timeout = start_timeout
        self.limits = dict(DEFAULT_LIMITS, **(limits or {}))
        self.scratch = build_scratch(self.files, fast_layers=fast_layers)
        self.proc = None
        self.served = 0  # student calls answered by the current worker process
        self.generation = 0
        self.confinement = {}
        self.bare_seconds = 0.0
        self.calls = 0
        self.restarts = 0
        self.peak_rss_kb = 0
        self.check_deadline = None  # monotonic seconds; set per check by the evaluator
        self.total_deadline = None  # monotonic seconds; the whole submission's budget
        self.broken = {}  # module -> message, when importing it killed or hung the worker
        self.imported = set()
        self.uid, self.gid, self.uid_skipped = unprivileged_user(self.scratch)
        if self.uid is not None:
            open_to_others(self.scratch)

    # ------------------------------------------------------------ process management
    def _start(self):
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        config = {
            "req_fd": req_r, "resp_fd": resp_w, "limits": self.limits,
            "sys_path": [str(self.scratch), sysconfig.get_paths()["stdlib"],
                         os.path.join(sysconfig.get_paths()["stdlib"], "lib-dynload"),
                         str(self.scratch / "_site")],
            "modules": list(STUDENT_MODULES) + sorted(TRUSTED_MODULES),
            "present": sorted(self.files) + sorted(TRUSTED_MODULES),
            "read_paths": read_paths(self.scratch),
            "write_paths": ["/dev/null"],  # no files at all: nothing to fill the disk with
            "view_root": str(self.scratch / "_root"), "view_links": view_links(),
            "secrets": secret_paths(),
        }
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.scratch / "work"),
               "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg",
               **{v: "1" for v in THREAD_VARS}}
        if "ASSIGNMENT_FAST_BACKEND" in os.environ:
            env["ASSIGNMENT_FAST_BACKEND"] = os.environ["ASSIGNMENT_FAST_BACKEND"]
        self.log = open(self.scratch / "worker.log", "ab")
        user = {} if self.uid is None else {"user": self.uid, "group": self.gid,
                                            "extra_groups": []}
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-S", "-s", "-B", str(self.scratch / "_grader_worker.py"),
                 json.dumps(config)],
                stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, env=env,
                cwd=self.scratch / "work", pass_fds=(req_r, resp_w), start_new_session=True,
                **user)
        except OSError as exc:
            for fd in (req_r, resp_w, req_w, resp_r):
                os.close(fd)
            self.log.close()
            if self.uid is None:
                raise
            return self._without_uid(f"{type(exc).__name__}: {exc}")
        os.close(req_r)
        os.close(resp_w)
        self.req, self.resp = req_w, resp_r
        self.generation += 1
        self.served = 0
        try:
            header, _ = protocol.receive(self.resp, time.monotonic() + self.start_timeout)
            if not isinstance(header.get("ready"), dict):
                raise ProtocolError("worker did not report ready")
        except (TimeoutError, EOFError, ProtocolError) as exc:
            self._kill()
            if self.uid is not None:
                self.generation -= 1
                return self._without_uid(f"{exc}; {self._log_tail()}")
            raise StudentError("crash", f"the sandbox worker did not start: {exc}; "
                               f"{self._log_tail()}") from None
        self.confinement = dict(header["ready"])
        if self.uid is not None:
            self.confinement["layers"] = list(self.confinement.get("layers", [])) + [
                "unprivileged_uid"]
        else:
            self.confinement["unprivileged_uid_skipped"] = self.uid_skipped

    def _without_uid(self, why):
        """The worker did not start as ``nobody``; no student code ran yet, so start it as
        the grader's user (still confined by the other layers) and record why."""
        self.uid_skipped = f"the worker did not start as uid {self.uid}: {why}"[:300]
        self.uid = self.gid = None
        return self._start()

    def start(self):
        """Start the worker now (it otherwise starts on the first request)."""
        if self.proc is None:
            self._start()
        return self.confinement

    def _log_tail(self):
        try:
            tail = (self.scratch / "worker.log").read_bytes()[-300:]
            return protocol.clean_text(tail.decode("utf-8", "replace"))
        except OSError:
            return ""

    def _sample_rss(self):
        if self.proc is None:
            return
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    self.peak_rss_kb = max(self.peak_rss_kb, int(line.split()[1]))
        except (OSError, ValueError):
            pass

    def _kill(self):
        if self.proc is None:
            return
        self._sample_rss()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for fd in (self.req, self.resp):
            try:
                os.close(fd)
            except (OSError, AttributeError):
                pass
        self.log.close()
        self.proc = None

    def _death_reason(self):
        self.proc.wait(timeout=5) if self.proc.poll() is None else None
        rc = self.proc.returncode
        if rc is not None and rc < 0:
            name = signal.Signals(-rc).name if -rc in signal.Signals._value2member_map_ else rc
            if -rc == signal.SIGXCPU:
                return "the worker ran out of CPU time"
            return f"the worker was killed by {name}"
        return f"the worker exited with status {rc} (sys.exit or os._exit in the submission?)"

    def close(self):
        """Stop the worker and remove the scratch folder."""
        self._kill()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------ requests
    def request(self, header, arrays=(), timeout=None, h=None):
        """Send one request and return ``(header, arrays)`` of a successful answer."""
        if h is not None and h.generation not in (None, self.generation):
            raise StudentError("error", "the object was lost when the worker restarted")
        if self.proc is None:
            if self.generation > 0:
                self.restarts += 1
            self._start()
        nonce = secrets.token_hex(8)
        now = time.monotonic()
        limits = [(now + (timeout or self.timeout),
                   f"took longer than {timeout or self.timeout:g} s")]
        if self.check_deadline is not None:
            limits.append((self.check_deadline, "the check used up its time budget"))
        if self.total_deadline is not None:
            limits.append((self.total_deadline, "the submission used up its total time "
                                                "budget"))
        deadline, why = min(limits)
        if deadline <= now:
            raise StudentError("timeout", why)
        try:
            protocol.write_all(self.req, protocol.pack(dict(header, nonce=nonce), arrays),
                               deadline)
            answer, out = protocol.receive(self.resp, deadline)
            if answer.get("nonce") != nonce:
                raise ProtocolError("answer out of sequence")
        except TimeoutError:
            self._kill()
            raise StudentError("timeout", f"{why} (the worker was stopped)") from None
        except (EOFError, BrokenPipeError):
            reason = self._death_reason()
            self._kill()
            raise StudentError("crash", reason) from None
        except ProtocolError as exc:
            self._kill()
            raise StudentError("protocol", f"unusable answer from the worker: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - anything else the worker's bytes provoke
            self._kill()
            raise StudentError("protocol", "unusable answer from the worker: "
                               f"{type(exc).__name__}") from None
        if header.get("op") == "call":
            self.served += 1
        if not answer.get("ok"):
            kind = answer.get("kind")
            kind = kind if kind in ("missing", "not_implemented", "import_error",
                                    "missing_function", "exception") else "error"
            raise StudentError(kind, protocol.clean_text(answer.get("message", "")))
        return answer, out

    def _wrap(self, hid, kind):
        h = Handle(hid, kind)
        h.generation = self.generation
        return RemoteObject(self, h) if kind not in ("tuple", "list", "dict") else h

    def ensure_imported(self, module):
        """Import a student module in the worker once; a crash or hang marks it broken."""
        if module in self.broken:
            raise StudentError("import_error", self.broken[module])
        if module in self.imported or module not in self.files:
            return
        for attempt in (1, 2):
            fresh = self.proc is None or self.served == 0
            try:
                self.request({"op": "import", "module": module})
                break
            except StudentError as exc:
                if exc.kind not in ("timeout", "crash", "protocol"):
                    raise
                if fresh or attempt == 2:  # it failed in a worker no call had touched
                    self.broken[module] = f"importing {module}.py: {exc.message}"
                    raise StudentError("import_error", self.broken[module]) from None
                # A used worker may have been left hanging by earlier calls: retry afresh.
        self.imported.add(module)

    def call(self, target, *args, _method=None, _timeout=None, _seed=0, **kwargs):
        """Call ``"module.function"`` (or a method of a remote object) in the worker.

        Returns the decoded value: arrays and scalars by value, dicts of them as dicts,
        anything else as a :class:`RemoteObject`/handle. Dicts passed as arguments are
        updated in place with their state after the call (``bn_param`` running means).
        """
        arrays = []
        header = {"op": "call", "seed": _seed,
                  "args": protocol.encode(list(args), arrays, _no_remote),
                  "kwargs": protocol.encode(kwargs, arrays, _no_remote)}
        h = None
        if _method is not None:
            h, name = _method
            header.update(handle=h.id, name=name)
        else:
            module = target.rpartition(".")[0]
            if module == "fast_layers" or module in TRUSTED_MODULES:
                pass
            elif module not in self.files:
                raise StudentError("missing", f"{module}.py is missing from the submission")
            else:
                self.ensure_imported(module)
            header["target"] = target
        answer, out = self.request(header, arrays, timeout=_timeout, h=h)
        self.calls += 1
        seconds = answer.get("seconds")
        self.last_seconds = None
        if isinstance(seconds, (int, float)) and 0 <= seconds < 1e6:
            self.bare_seconds += seconds
            self.last_seconds = seconds
        for key, tag in (answer.get("dicts") or {}).items():
            i = int(key) if str(key).isdigit() else -1
            if 0 <= i < len(args) and isinstance(args[i], dict):
                try:
                    new = protocol.decode(tag, out, self._wrap)
                except (ProtocolError, StudentError):
                    continue
                if isinstance(new, dict):
                    args[i].clear()
                    args[i].update(new)
        try:
            return protocol.decode(answer.get("value"), out, self._wrap)
        except ProtocolError as exc:
            raise StudentError("protocol", f"unusable answer from the worker: {exc}") from None

