"""Hostile submissions: each is the reference with one piece of hostile code injected.

A case names the function (or module, for import-time code) it poisons. The rest of the
submission is the honest reference, so every check of an untouched function must still earn
exactly the reference's points: that is how we see that hostility costs only its own checks.

- ``affected="zero"``: the poisoned function's checks must score 0 (the attack returns a wrong
  or stolen value, or dies);
- ``affected="keep"``: the hostile code is a side effect and the function then returns the
  honest answer, so its checks keep the reference's points;
- ``affected="any"``: anything between 0 and the reference's points is honest (a function
  that hurts only itself, e.g. a correct answer in an exotic container).

``expect`` overrides the rule per check id or function (``"zero"``, ``"keep"``, ``"any"``,
``"max:N"``); ``collateral`` names functions whose checks may lose points because they call
the poisoned one (``"*"``: any check, for code that sabotages the whole worker), but never gain.

Injected code goes right after ``### BEGIN SOLUTION`` of the target function (it sees the
function's arguments and may ``return``), or at the end of the module (``at="import"``).
Hostile code that succeeds where it should not raises ``HOSTILE-LEAK: ...``, which then shows
in the check's feedback; the judge looks for it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = ROOT / "assignment" / "reference"
FILES = ("layers.py", "conv_layers.py", "layer_utils.py", "cnn.py", "optim.py")
HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
MARK = "HOSTILE-MARK-7f3a"  # what fake output carries, so we can look for it


@dataclasses.dataclass
class Case:
    id: str
    target: str  # "conv_layers.conv_forward_naive" or, with at="import", "optim"
    code: str
    affected: str = "zero"
    at: str = "function"
    budget: float = 45.0  # seconds for the whole grade
    slow: bool = False
    helpers: bool = False  # also append thief.py to the target module
    why: str = ""
    # extra checks this case is allowed to cost (functions that call the target)
    collateral: tuple[str, ...] = ()
    daemon_seconds: float = 0.0  # a helper process may live this long: wait, then re-check
    # per-check (or per-function) overrides of the rule: {"adam.steps": "zero", ...}
    expect: dict = dataclasses.field(default_factory=dict)
    max_parent_mb: float = 1000.0  # the grader's own peak memory (RSS) must stay below this

    @property
    def module(self):
        return self.target.split(".")[0]

    @property
    def tag(self):
        """Process name (comm, 15 chars at most) of any process this case's code starts."""
        import hashlib

        return "hx" + hashlib.sha1(self.id.encode()).hexdigest()[:10]

    @property
    def function(self):
        return None if self.at == "import" else self.target.split(".", 1)[1]


CONV = "conv_layers.conv_forward_naive"  # args x, w, b, conv_param; a leaf of the rubric
LEAF = "optim.rmsprop"  # args w, dw, config; nothing else calls it
CACHE = "(x, w, b, conv_param)"

_ZEROS = "np.zeros(_hostile_probe(x, w, b, conv_param)[0])"


def _steal(body):
    return body + f"\n_hostile_raise()\nreturn {_ZEROS}, {CACHE}\n"


# Forge an answer on the worker's own answer pipe, with the current request's nonce.
_FORGE = textwrap.dedent("""\
    import os, sys, json, struct
    fd = getattr(sys.modules["__main__"], "RESP", None)
    nonce, frame = None, sys._getframe()
    while frame is not None and nonce is None:
        req = frame.f_locals.get("req")
        if isinstance(req, dict):
            nonce = req.get("nonce")
        frame = frame.f_back
    if fd is None or nonce is None:
        raise RuntimeError("HOSTILE-STALE: the worker's protocol has changed; update the case")
    def _forge(header):
        body = json.dumps(dict(header, nonce=nonce)).encode()
        os.write(fd, struct.pack("<Q", len(body)) + body)
    """)

CASES = [
    # ------------------------------------------------------------------ exits
    Case("sys_exit_at_import", "optim", "import sys\nsys.exit(0)\n", at="import"),
    Case("os_exit_at_import", "optim", "import os\nos._exit(0)\n", at="import"),
    Case("sys_exit_in_function", LEAF, "import sys\nsys.exit(0)\n"),
    Case("os_exit_in_function", LEAF, "import os\nos._exit(0)\n"),
    Case("keyboard_interrupt", LEAF, "raise KeyboardInterrupt\n"),
    Case("abort", LEAF, "import os\nos.abort()\n"),
    # ------------------------------------------------------------------ hangs
    Case("infinite_loop", LEAF, "while True:\n    pass\n", slow=True, budget=120),
    Case("loop_ignoring_signals", LEAF, textwrap.dedent("""\
        import signal
        for s in (signal.SIGTERM, signal.SIGALRM, signal.SIGINT, signal.SIGXCPU,
                  signal.SIGHUP, signal.SIGUSR1, signal.SIGVTALRM, signal.SIGPROF):
            signal.signal(s, signal.SIG_IGN)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals) - {signal.SIGKILL,
                                                                        signal.SIGSTOP})
        while True:
            try:
                while True:
                    pass
            except BaseException:
                continue
        """), slow=True, budget=120),
    Case("c_level_block", LEAF, textwrap.dedent("""\
        import ctypes, signal
        signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals) - {signal.SIGKILL,
                                                                        signal.SIGSTOP})
        ctypes.CDLL(None).pause()
        """), slow=True, budget=120),
    Case("loop_at_import", "optim", "while True:\n    pass\n", at="import", slow=True, budget=120),
    # ------------------------------------------------------------------ resources
    Case("memory_bomb", LEAF, textwrap.dedent("""\
        hog = []
        try:
            for _ in range(30):  # 3 GB, touched: bounded so a missing limit cannot hurt the host
                hog.append(np.ones(100 << 17))
        except MemoryError:
            return None, config
        raise RuntimeError("HOSTILE-LEAK: no memory limit, allocated 3 GB")
        """)),
    Case("fork_storm", LEAF, textwrap.dedent("""\
        import os, ctypes, time, threading
        children = 0
        for _ in range(50):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                ctypes.CDLL(None).prctl(15, b"HOSTILE_TAG", 0, 0, 0)
                time.sleep(20)
                os._exit(0)
            children += 1
        spawned = 0
        for _ in range(3):
            try:
                import subprocess
                subprocess.Popen(["sleep", "20"])
                spawned += 1
            except Exception:
                pass
        threads = 0
        try:
            for _ in range(2000):  # threads are allowed; they must not outlive the worker
                threading.Thread(target=time.sleep, args=(20,), daemon=True).start()
                threads += 1
        except Exception:
            pass
        if children or spawned:
            raise RuntimeError(f"HOSTILE-LEAK: forked {children} processes, spawned {spawned}")
        return None, config
        """)),
    Case("escaping_daemon", LEAF, textwrap.dedent(f"""\
        import os, ctypes, time, glob
        try:
            pid = os.fork()
        except OSError:
            pid = -1
        if pid == 0:
            os.setsid()
            if os.fork() == 0:
                ctypes.CDLL(None).prctl(15, b"HOSTILE_TAG", 0, 0, 0)
                end = time.time() + 8
                while time.time() < end:
                    targets = ["results.json", "../results.json", "../../results.json"]
                    try:
                        procs = os.listdir("/proc")
                    except OSError:
                        procs = []
                    for p in procs:
                        try:
                            argv = open(f"/proc/{{p}}/cmdline", "rb").read().split(b"\\0")
                        except Exception:
                            continue
                        if b"grader" in b" ".join(argv):
                            targets += [a.decode() for a in argv if a.endswith((b".json", b".xml"))]
                    for t in targets:
                        try:
                            open(t, "w").write('{{"score": 100, "{MARK}": 1}}')
                        except Exception:
                            pass
                    time.sleep(0.2)
            os._exit(0)
        """), affected="keep", daemon_seconds=9),
    Case("disk_fill", LEAF, textwrap.dedent("""\
        import os
        chunk, written = bytes(1 << 20), 0
        try:
            for i in range(32):  # 32 files of 60 MB: bounded at ~2 GB for the host's sake
                with open(f"fill{i}.bin", "wb") as f:
                    for _ in range(60):
                        f.write(chunk)
                        written += len(chunk)
                if written > (256 << 20):
                    break  # enough to show there is no quota
        except OSError:
            pass
        finally:
            for i in range(32):
                try:
                    os.unlink(f"fill{i}.bin")
                except OSError:
                    pass
        if written > (256 << 20):
            raise RuntimeError(f"HOSTILE-LEAK: no disk quota, wrote {written >> 20} MB "
                               f"in the scratch folder (RLIMIT_FSIZE is per file)")
        return None, config
        """), why="RLIMIT_FSIZE bounds one file, not the scratch folder"),
    Case("seccomp_other_abi_fork", LEAF, textwrap.dedent("""\
        import ctypes, mmap, os, time
        # "mov eax, 2; int 0x80; ret": fork through the i386 system-call ABI, which a filter
        # that only knows x86-64 numbers (and allows other architectures) does not see
        page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        page.write(bytes([0xB8, 2, 0, 0, 0, 0xCD, 0x80, 0xC3]))
        i386_fork = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        forked = []
        for how, fork in (("i386 int 0x80", i386_fork),
                          ("x32 syscall", lambda: libc.syscall(0x40000000 | 57))):
            for _ in range(3):
                pid = fork()
                if pid == 0:
                    libc.prctl(15, b"HOSTILE_TAG", 0, 0, 0)
                    os.setsid()
                    time.sleep(15)
                    os._exit(0)
                if pid > 0:
                    forked.append(how)
        if forked:
            raise RuntimeError(f"HOSTILE-LEAK: forked {len(forked)} processes with "
                               f"{sorted(set(forked))}: seccomp filter bypassed")
        return None, config
        """), why="the seccomp filter allows every syscall of a non-x86-64 ABI"),
    Case("io_uring_sockets", LEAF, textwrap.dedent("""\
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        params = ctypes.create_string_buffer(120)
        fd = libc.syscall(425, 8, params)  # io_uring_setup: its SOCKET/CONNECT/SENDMSG ops
        if fd >= 0:                        # create and use sockets without the socket syscall
            raise RuntimeError("HOSTILE-LEAK: io_uring_setup allowed (sockets without socket())")
        return None, config
        """), why="io_uring performs socket(), connect(), sendmsg() without those syscalls"),
    Case("segfault", LEAF, "import ctypes\nctypes.string_at(0)\n"),
    Case("stack_overflow", LEAF, textwrap.dedent("""\
        import sys
        sys.setrecursionlimit(10**7)
        def f(n):
            return f(n + 1) + 1
        f(0)
        """)),
    # ------------------------------------------------------------------ monkeypatching
    Case("numpy_patched_at_import", "optim", textwrap.dedent("""\
        import numpy, builtins, json
        numpy.allclose = lambda *a, **k: True
        numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.shape(a), bool)
        numpy.array_equal = lambda *a, **k: True
        numpy.isfinite = lambda a, *r, **k: numpy.ones(numpy.shape(a), bool)
        numpy.isnan = lambda a, *r, **k: numpy.zeros(numpy.shape(a), bool)
        numpy.testing.assert_allclose = lambda *a, **k: None
        numpy.testing.assert_array_almost_equal = lambda *a, **k: None
        numpy.abs = numpy.absolute = lambda a, *r, **k: numpy.zeros(numpy.shape(a))
        numpy.linalg.norm = lambda *a, **k: 0.0
        builtins.abs = lambda a: 0
        def sgd(w, dw, config=None):
            return w * 0, config or {}
        """), at="import", affected="keep", expect={"optim.sgd": "zero"},
        why="patches numpy/builtins in the worker and replaces sgd by a wrong one; every "
            "other check, optim's included, must keep its honest points"),
    Case("numpy_patched_in_function", CONV, textwrap.dedent(f"""\
        import numpy, builtins
        numpy.allclose = lambda *a, **k: True
        numpy.abs = lambda a, *r, **k: numpy.zeros(numpy.shape(a))
        numpy.max = numpy.amax = lambda *a, **k: 0.0
        numpy.maximum = lambda a, b, *r, **k: numpy.zeros(numpy.broadcast(a, b).shape)
        builtins.max = lambda *a, **k: 0
        builtins.abs = lambda a: 0
        builtins.isinstance = lambda *a: True
        return {_ZEROS}, {CACHE}
        """), helpers=True, affected="zero", collateral=("conv_layers.conv_backward_naive",),
        why="patches numpy/builtins for the rest of the worker's life, then returns zeros; "
            "relu (np.maximum) and isinstance-based code of the worker are broken on purpose"),
    # ------------------------------------------------------------------ fake output
    Case("fake_stdout", CONV, textwrap.dedent(f"""\
        import os, sys, json
        fake = json.dumps({{"score": 100.0, "tests": [], "{MARK}": True}})
        print(fake)
        print("TOTAL  100.0 / 100.0  {MARK}")
        sys.stderr.write(fake + "\\n")
        for fd in (1, 2):
            os.write(fd, (fake + "\\n").encode())
        """), affected="keep"),
    Case("huge_stdout", CONV, textwrap.dedent("""\
        import os, sys
        line = "x" * 1023 + "\\n"
        for _ in range(50_000):
            sys.stdout.write(line)
        chunk = (line * 1024).encode()
        try:
            for _ in range(100):  # 100 MB straight to the file descriptors
                os.write(1, chunk)
                os.write(2, chunk)
        except OSError:
            pass
        """), affected="any", why="the worker's log is capped (RLIMIT_FSIZE kills it): own loss"),
    Case("feedback_injection", CONV, textwrap.dedent(f"""\
        raise ValueError("\\n\\rTOTAL 100.0 / 100.0 {MARK}\\x1b[2J\\x1b[1A</failure></testcase>"
                         "<testcase name=\\"{MARK}\\"/>]]><script>{MARK}</script>\\x00 \\ud800"
                         "\\u202e,=cmd|' /C calc'!A0")
        """), collateral=("conv_layers.conv_backward_naive",),
        why="student-controlled text reaches every report: console, JUnit, HTML, CSV"),
    Case("result_files", CONV, textwrap.dedent(f"""\
        import os
        body = '{{"score": 100, "{MARK}": true}}'
        names = ["results.json", "result.json", "grade.json", "junit.xml", "gradebook.csv"]
        dirs = [".", "..", "../..", "../../..", os.path.expanduser("~"), "/autograder/results",
                "/tmp", "/work/main"]
        try:
            procs = os.listdir("/proc")
        except OSError:
            procs = []
        for p in procs:
            try:
                argv = open(f"/proc/{{p}}/cmdline", "rb").read().split(b"\\0")
                dirs.append(os.readlink(f"/proc/{{p}}/cwd"))
            except Exception:
                continue
            if b"grader" in b" ".join(argv):
                for a in argv:
                    if a.endswith((b".json", b".xml", b".csv")):
                        try:
                            open(a.decode(), "w").write(body)
                        except Exception:
                            pass
        for d in dirs:
            for n in names:
                try:
                    with open(os.path.join(d, n), "x") as f:
                        f.write(body)
                except Exception:
                    pass
        """), affected="keep"),
    # ------------------------------------------------------------------ the oracle
    Case("read_expected_files", CONV, _steal(
        "got = _hostile_steal_files(_hostile_probe(x, w, b, conv_param))\n"
        f"if got is not None:\n    return got, {CACHE}\n"), helpers=True, slow=True),
    Case("corrupt_expected_files", CONV, _steal("_hostile_probe_writes()\n"), helpers=True),
    Case("import_reference", CONV, _steal(
        "got = _hostile_steal_imports(x, w, b, conv_param, _hostile_probe(x, w, b, conv_param))\n"
        f"if got is not None:\n    return got, {CACHE}\n"), helpers=True),
    Case("scan_gc_and_frames", CONV, _steal(
        "got = _hostile_steal_memory(_hostile_probe(x, w, b, conv_param))\n"
        f"if got is not None:\n    return got, {CACHE}\n"), helpers=True),
    Case("read_parent_memory", CONV, _steal(
        "got = _hostile_steal_parent_memory(_hostile_probe(x, w, b, conv_param))\n"
        f"if got is not None:\n    return got, {CACHE}\n"), helpers=True),
    Case("naive_calls_fast", CONV, textwrap.dedent("""\
        from assignment.fast_layers import conv_forward_fast
        return conv_forward_fast(x, w, b, conv_param)
        """), collateral=("conv_layers.conv_backward_naive",),
        why="the handout's rule: the naive layers' worker has no fast layers to call"),
    # ------------------------------------------------------------------ lying return values
    Case("zeros_stub", CONV, f"return {_ZEROS}, {CACHE}\n", helpers=True,
         why="the laziest stub: an all-zero output of the right shape"),
    Case("ndarray_subclass", CONV, textwrap.dedent(f"""\
        class Liar(np.ndarray):
            def __eq__(self, o): return np.ones(np.shape(o), bool)
            def __ne__(self, o): return np.zeros(np.shape(o), bool)
            def __sub__(self, o): return np.zeros(np.shape(o))
            def __rsub__(self, o): return np.zeros(np.shape(o))
            def __abs__(self): return np.zeros(self.shape)
            def __array_ufunc__(self, *a, **k): return np.zeros(self.shape)
            def __array_function__(self, *a, **k): return True
        return np.zeros(_hostile_probe(x, w, b, conv_param)[0]).view(Liar), {CACHE}
        """), helpers=True),
    Case("object_array", CONV, textwrap.dedent(f"""\
        class Zero:
            def __sub__(self, o): return 0.0
            __rsub__ = __sub__
            def __abs__(self): return 0.0
            def __float__(self): return 0.0
            def __eq__(self, o): return True
            def __le__(self, o): return True
            def __lt__(self, o): return True
            def __gt__(self, o): return False
            def __ge__(self, o): return False
        shape = _hostile_probe(x, w, b, conv_param)[0]
        a = np.empty(shape, dtype=object)
        a[...] = Zero()
        return a, {CACHE}
        """), helpers=True),
    Case("liar_list", CONV, textwrap.dedent(f"""\
        class Zero(float):
            def __sub__(self, o): return 0.0
            __rsub__ = __sub__
            def __eq__(self, o): return True
        shape = _hostile_probe(x, w, b, conv_param)[0]
        return [[[[Zero(0)] * shape[3]] * shape[2]] * shape[1]] * shape[0], {CACHE}
        """), helpers=True),
    Case("correct_values_as_list", CONV, textwrap.dedent("""\
        out = _conv_fwd_honest(x, w, b, conv_param)
        return out.tolist(), (x, w, b, conv_param)
        """), helpers=True, affected="any", why="right values, wrong container: either is fair"),
    Case("nan_output", CONV, f"return np.full({_ZEROS}.shape, np.nan), {CACHE}\n",
         helpers=True),
    Case("inf_output", CONV, f"return np.full({_ZEROS}.shape, np.inf), {CACHE}\n",
         helpers=True),
    Case("one_nan_among_right_values", CONV, textwrap.dedent(f"""\
        out = _conv_fwd_honest(x, w, b, conv_param).astype(np.float64)
        out.flat[0] = np.nan
        return out, {CACHE}
        """), helpers=True, why="max(rel_error) is NaN and NaN > tol is False"),
    Case("broadcastable_shape", CONV, textwrap.dedent(f"""\
        out = _conv_fwd_honest(x, w, b, conv_param)
        return out.mean(axis=(2, 3), keepdims=True), {CACHE}
        """), helpers=True),
    Case("empty_output", CONV, f"return np.zeros((0,)), {CACHE}\n", helpers=True),
    Case("scalar_output", CONV, f"return np.float64(0.0), {CACHE}\n", helpers=True),
    Case("huge_virtual_output", CONV,
         f"return np.broadcast_to(np.float64(0.0), (1 << 16, 1 << 16, 4)), {CACHE}\n", helpers=True,
         collateral=("conv_layers.conv_backward_naive",)),
    Case("complex_output", CONV, textwrap.dedent(f"""\
        return _conv_fwd_honest(x, w, b, conv_param) + 0j, {CACHE}
        """), helpers=True, affected="any"),
    Case("remote_object_output", CONV, textwrap.dedent(f"""\
        shape = _hostile_probe(x, w, b, conv_param)[0]
        class Fake:
            def __init__(self):
                self.shape, self.ndim, self.size = shape, len(shape), int(np.prod(shape))
                self.dtype = "float64"
            def __array__(self, *a, **k): return np.zeros(shape)
            def __getattr__(self, name): return lambda *a, **k: 0.0
            def __len__(self): return shape[0]
            def __eq__(self, o): return True
            def __sub__(self, o): return 0.0
        return Fake(), {CACHE}
        """), helpers=True),
    Case("overfit_by_lookup", "cnn.loss", textwrap.dedent("""\
        memo = type(self).__dict__.get("_hostile_memo")
        if y is None and memo is not None and X.tobytes() in memo:
            s = np.zeros((X.shape[0], W3.shape[1]))
            s[np.arange(X.shape[0]), memo[X.tobytes()]] = 10.0
            return s  # memorised labels: "perfect" training accuracy
        if y is not None:
            type(self)._hostile_memo = {X.tobytes(): np.asarray(y)}
            # gradients of zero: the network itself never learns anything
            return 2.302585, {k: np.zeros_like(v) for k, v in self.params.items()}
        """), expect={"three_layer_convnet.overfit": "zero", "three_layer_convnet.loss": "any",
                      "three_layer_convnet.init": "any", "three_layer_convnet.train": "zero"},
        why="the model memorises (X, y) seen during training and answers from that table"),
    Case("hardcoded_initial_loss", "cnn.loss", textwrap.dedent("""\
        if y is None:
            return np.zeros((X.shape[0], W3.shape[1]))
        reg = 0.5 * self.reg * sum(float(np.sum(W * W)) for W in (W1, W2, W3))
        return float(np.log(10)) + reg, {k: np.zeros_like(v) for k, v in self.params.items()}
        """), expect={"three_layer_convnet.init": "max:1", "three_layer_convnet.loss": "zero",
                      "three_layer_convnet.overfit": "zero", "three_layer_convnet.train": "zero"},
        why="no network at all: the loss is log(10) plus the regulariser, hard-coded; only "
            "the initialisation part of the init check is honest"),
    Case("dropout_fixed_mask", "layers.dropout_forward", textwrap.dedent("""\
        if mode == "train":
            keep = np.zeros(x.size, dtype=bool)
            keep[: int(round(p * x.size))] = True  # the first p of the units, every time
            mask = keep.reshape(x.shape) / p
            return (x * mask).astype(x.dtype, copy=False), (dropout_param, mask)
        """), expect={"dropout_forward.train": "zero"}, affected="any",
        why="not random at all: always keeps the first p of the units"),
    Case("dropout_nan_where_kept", "layers.dropout_forward", textwrap.dedent("""\
        if mode == "train":
            mask = (np.random.rand(*x.shape) < p) / p
            return np.where(mask > 0, np.nan, 0.0), (dropout_param, mask)
        """), expect={"dropout_forward.train": "zero", "dropout_backward.public": "zero",
                      "dropout_forward.seed": "zero"}, affected="any",
        why="the right fraction of nonzero units, every one NaN: NaN > tol is False"),
    Case("dropout_identity", "layers.dropout_forward", textwrap.dedent("""\
        if mode == "train":
            return x, (dropout_param, np.ones_like(x))
        """), expect={"dropout_forward.train": "zero", "dropout_backward.public": "keep"},
        affected="any", why="no dropout at all: the (honest) backward pass is judged on the "
        "grader's mask instead of the identity forward's, and keeps its points"),
    Case("remote_array_interface", CONV, textwrap.dedent(f"""\
        class Fake:
            @property
            def __array_interface__(self):
                return {{"shape": (2, 3, 2, 2), "typestr": "<f8", "data": (4096, False),
                        "version": 3}}
            def __len__(self):
                return 2
            def __getitem__(self, i):
                return self
            def __float__(self):
                return 0.0
        return Fake(), {CACHE}
        """), why="an __array_interface__ pointing at address 4096, if the grader ever asked"),
    # ------------------------------------------------------------------ the grader's process
    Case("protocol_flood", CONV, _FORGE + textwrap.dedent("""\
        n, size = 3, 600 << 20  # three 600 MB arrays; the worker holds 16 MB at a time
        _forge({"ok": True, "value": {"nd": 0}, "dicts": {}, "seconds": 0.0,
                "arrays": [{"dtype": "|u1", "shape": [size]}] * n})
        chunk = bytes(16 << 20)
        for _ in range(n):
            left = size
            while left > 0:
                left -= os.write(fd, chunk[: min(left, len(chunk))])
        os._exit(0)
        """), collateral=("conv_layers.conv_backward_naive",), max_parent_mb=700.0,
        why="streams 1.8 GB of 'arrays' into the grader within one call's deadline: the "
            "grader's memory must stay bounded (the worker's own limit is 1 GB)"),
    Case("kill_parent", LEAF, textwrap.dedent("""\
        import os, signal
        for target in (os.getppid(), 0, -os.getpgid(0)):
            try:
                if target == 0:
                    os.killpg(0, signal.SIGKILL)
                else:
                    os.kill(target, signal.SIGKILL)
            except Exception:
                pass
        try:
            os.kill(os.getppid(), signal.SIGTERM)
        except Exception:
            pass
        return None, config
        """)),
    Case("stop_parent", LEAF, textwrap.dedent("""\
        import os, signal
        try:
            os.kill(os.getppid(), signal.SIGSTOP)
        except Exception:
            pass
        return None, config
        """), slow=True),
    Case("sigqueue_parent", LEAF, textwrap.dedent("""\
        import os, ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        class SigVal(ctypes.Union):
            _fields_ = [("i", ctypes.c_int), ("p", ctypes.c_void_p)]
        pid = os.getppid()
        for sig in (19, 9):  # SIGSTOP then SIGKILL, through rt_sigqueueinfo (not kill())
            libc.sigqueue(pid, sig, SigVal(0))
        # and the raw syscall, siginfo with si_code SI_QUEUE (-1)
        info = (ctypes.c_int * 32)(9, 0, -1)
        libc.syscall(129, pid, 9, info)
        return None, config
        """), slow=True),
    Case("protocol_overflowing_shape", CONV, _FORGE + textwrap.dedent("""\
        _forge({"ok": True, "value": {"nd": 0}, "dicts": {}, "seconds": 0.0,
                "arrays": [{"dtype": "|u1", "shape": [1 << 64]}]})
        import time
        time.sleep(60)
        """), collateral=("conv_layers.conv_backward_naive",),
        why="an array header whose size overflows int64 while the parent computes it"),
    Case("protocol_negative_size", CONV, _FORGE + textwrap.dedent("""\
        _forge({"ok": True, "value": {"nd": 0}, "dicts": {}, "seconds": 0.0,
                "arrays": [{"dtype": "|u1", "shape": [1 << 63]}]})
        import time
        time.sleep(60)
        """), collateral=("conv_layers.conv_backward_naive",),
        why="an array header whose byte count wraps negative"),
    Case("protocol_deep_json", CONV, _FORGE + textwrap.dedent("""\
        body = b"[" * 400_000  # json.loads raises RecursionError, not JSONDecodeError
        os.write(fd, struct.pack("<Q", len(body)) + body)
        import time
        time.sleep(60)
        """), collateral=("conv_layers.conv_backward_naive",),
        why="a header that makes the grader's JSON decoder recurse too deep"),
    Case("protocol_huge_int", CONV, _FORGE + textwrap.dedent("""\
        body = b'{"ok": true, "value": ' + b"7" * 5000 + b"}"  # int conversion limit: ValueError
        os.write(fd, struct.pack("<Q", len(body)) + body)
        import time
        time.sleep(60)
        """), collateral=("conv_layers.conv_backward_naive",),
        why="a header with a 5000-digit integer (Python refuses to convert it)"),
    Case("thread_noise", CONV, textwrap.dedent(f"""\
        import os, threading, time
        def noise():
            end = time.time() + 6
            while time.time() < end:
                for fd in range(3, 40):
                    try:
                        os.write(fd, b"\\x10" + bytes(7) + b'{{"ok": true, "value": 1}}')
                    except OSError:
                        pass
                time.sleep(0.01)
        threading.Thread(target=noise, daemon=True).start()
        return {_ZEROS}, {CACHE}
        """), helpers=True, affected="zero", collateral=("*",),
        why="writes forged protocol frames to every fd for 6 s, during other checks' calls: "
            "the calls it corrupts cost points (the submission's own doing) but none may gain"),
    Case("thread_exits_later", CONV, textwrap.dedent(f"""\
        import os, threading, time
        threading.Thread(target=lambda: (time.sleep(0.5), os._exit(0)), daemon=True).start()
        return {_ZEROS}, {CACHE}
        """), helpers=True, collateral=("*",),
        why="kills the worker during a later check: that check may be lost, none may be gained"),
]

# Honest helpers every helpers=True case gets (the reference conv itself, renamed).
HONEST_HELPER = """
def _conv_fwd_honest(x, w, b, conv_param):
    return _HOSTILE_REFERENCE_CONV(x, w, b, conv_param)[0]
"""


# ---------------------------------------------------------------------------- building
def _inject_in_function(source, function, code):
    m = re.search(rf"^(\s*)def {re.escape(function)}\(", source, re.M)
    if not m:
        raise LookupError(f"no function {function} in the reference")
    begin = source.find("### BEGIN SOLUTION", m.end())
    if begin < 0:
        raise LookupError(f"no solution region in {function}")
    line_start = source.rfind("\n", 0, begin) + 1
    indent = source[line_start:begin]
    line_end = source.find("\n", begin) + 1
    return source[:line_end] + textwrap.indent(code, indent) + source[line_end:]


def build(case: Case, dest: Path) -> Path:
    """Write the hostile submission for ``case`` into ``dest`` (created) and return it."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copy(REFERENCE / name, dest / name)
    path = dest / f"{case.module}.py"
    source = path.read_text()
    if case.at == "import":
        source += "\n\n# --- hostile code at import time ---\n" + case.code
    elif case.helpers:
        source = _split_honest(source, case)
        source += "\n\n" + (HERE / "thief.py").read_text() + HONEST_HELPER
    else:
        source = _inject_in_function(source, case.function, case.code)
    path.write_text(source.replace("HOSTILE_TAG", case.tag))
    return dest


def _split_honest(reference_source, case):
    """The module with the hostile function, plus the honest one as _HOSTILE_REFERENCE_CONV."""
    hostile = _inject_in_function(reference_source, case.function, case.code)
    m = re.search(r"^def conv_forward_naive\(.*?(?=^def |\Z)", reference_source, re.M | re.S)
    honest = m.group(0).replace("def conv_forward_naive(", "def _HOSTILE_REFERENCE_CONV(", 1)
    return hostile + "\n\n" + honest


def build_reference(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copy(REFERENCE / name, dest / name)
    return dest


# ---------------------------------------------------------------------------- running
@dataclasses.dataclass
class Outcome:
    case: str
    returncode: int | None
    seconds: float
    result: dict | None
    stdout: str
    stderr: str
    workdir: str
    timed_out: bool = False
    survivors: list = dataclasses.field(default_factory=list)
    outputs_after: dict = dataclasses.field(default_factory=dict)
    parent_mb: float | None = None  # peak RSS of the grader process (not its worker)


def _procs_named(prefix):
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            comm = Path(f"/proc/{p}/comm").read_text().strip()
        except OSError:
            continue
        if comm.startswith(prefix):
            found.append((int(p), comm))
    return found


def grade_cli(submission: Path, workdir: Path, hard_timeout: float, extra_args=()):
    """Run ``python -m grader grade`` in its own session; returns the parts of an Outcome."""
    workdir.mkdir(parents=True, exist_ok=True)
    out = {k: workdir / f"out.{k}" for k in ("json", "gradescope.json", "junit.xml")}
    args = ["grade", str(submission), "--json", str(out["json"]),
            "--gradescope", str(out["gradescope.json"]), "--junit", str(out["junit.xml"]),
            *extra_args]
    rss = workdir / "grader_maxrss_kb"
    # ``python -m grader`` plus one line: record the grader process's own peak memory
    cmd = [PYTHON, "-c", "import resource, sys; from grader.cli import main; "
           "rc = main(sys.argv[2:]); open(sys.argv[1], 'w').write("
           "str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)); sys.exit(rc)",
           str(rss), *args]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, start_new_session=True)
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=hard_timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        for sig in (signal.SIGCONT, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
        stdout, stderr = proc.communicate()
    seconds = time.monotonic() - start
    result = None
    try:
        result = json.loads(out["json"].read_text())
    except (OSError, ValueError):
        pass
    try:
        out["maxrss_kb"] = float(rss.read_text())
    except (OSError, ValueError):
        out["maxrss_kb"] = None
    return proc.returncode, seconds, result, stdout.decode("utf-8", "replace"), \
        stderr.decode("utf-8", "replace"), timed_out, out


def run_case(case: Case, base: Path, extra_args=()) -> Outcome:
    """Build and grade one case in ``base/case.id``; collect everything the checks need."""
    root = base / case.id
    sub = build(case, root / "submission")
    workdir = root / "a" / "b" / "c"
    rc, seconds, result, stdout, stderr, timed_out, out = grade_cli(
        sub, workdir, hard_timeout=case.budget * 2 + 30, extra_args=extra_args)
    outcome = Outcome(case.id, rc, seconds, result, stdout, stderr, str(workdir), timed_out)
    kb = out.pop("maxrss_kb")
    outcome.parent_mb = kb / 1024 if kb else None
    if case.daemon_seconds:
        time.sleep(max(0.0, case.daemon_seconds - seconds))
    outcome.outputs_after = {k: (p.read_text(errors="replace") if p.exists() else None)
                             for k, p in out.items()}
    outcome.survivors = _procs_named(case.tag)
    for pid, _ in outcome.survivors:  # leave the host clean whatever happened
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return outcome


def run_reference(base: Path, extra_args=()) -> Outcome:
    sub = build_reference(base / "reference" / "submission")
    workdir = base / "reference" / "a" / "b" / "c"
    rc, seconds, result, stdout, stderr, timed_out, out = grade_cli(sub, workdir, 300, extra_args)
    o = Outcome("reference", rc, seconds, result, stdout, stderr, str(workdir), timed_out)
    kb = out.pop("maxrss_kb")
    o.parent_mb = kb / 1024 if kb else None
    return o


# ---------------------------------------------------------------------------- judging
def violations(case: Case, outcome: Outcome, honest: dict, functions: dict[str, str]) -> list[str]:
    """Everything wrong with ``outcome``; empty when the grader held.

    Parameters
    ----------
    honest : dict
        The reference's JSON result.
    functions : dict
        Check id -> ``("module.function", declared)``: the function under test, and whether
        the check is a declared case of ``grader.checks.all_cases()`` (else a free-form one).
    """
    bad = []
    if outcome.timed_out:
        return [f"the grader hung (killed after {outcome.seconds:.0f} s)"]
    if outcome.returncode != 0:
        bad.append(f"grader exit status {outcome.returncode}, expected 0; stderr: "
                   f"{outcome.stderr[-300:]!r}")
    if outcome.result is None:
        return bad + ["no JSON result written"]
    if outcome.parent_mb is not None and outcome.parent_mb > case.max_parent_mb:
        bad.append(f"the grader process itself peaked at {outcome.parent_mb:.0f} MB "
                   f"(limit {case.max_parent_mb:.0f} MB)")
    if outcome.seconds > case.budget:
        bad.append(f"took {outcome.seconds:.1f} s, budget {case.budget:.0f} s")
    ref = {c["id"]: c for c in honest["checks"]}
    got = {c["id"]: c for c in outcome.result["checks"]}
    if set(got) != set(ref):
        bad.append(f"checks differ from the reference's: missing {sorted(set(ref) - set(got))}, "
                   f"extra {sorted(set(got) - set(ref))}")
    for cid, c in got.items():
        r = ref.get(cid)
        if r is None:
            continue
        fn, declared = functions.get(cid, ("", True))
        rule = case.expect.get(cid) or case.expect.get(fn)
        if rule is None:
            if _affected(case, fn):
                rule = case.affected
                if not declared and rule == "zero" and case.id != "zeros_stub":
                    rule = "any"  # free-form property checks may pass a consistent wrong answer
            else:
                rule = "any" if _collateral(case, fn) else "keep"
        if c["score"] > r["score"] + 1e-9:
            bad.append(f"{cid}: {c['score']} points, more than the honest {r['score']}")
        elif rule == "zero" and c["score"] != 0:
            bad.append(f"{cid}: poisoned function earned {c['score']} points")
        elif rule.startswith("max:") and c["score"] > float(rule[4:]) + 1e-9:
            bad.append(f"{cid}: {c['score']} points, at most {rule[4:]} are honest")
        elif rule == "keep" and c["score"] != r["score"]:
            bad.append(f"{cid} ({fn or '?'}): {c['score']} != honest {r['score']} "
                       f"({c['status']}: {c['feedback'][:160]})")
        if "HOSTILE-LEAK" in (c.get("feedback") or ""):
            bad.append(f"{cid}: {c['feedback'][:400]}")
    if abs(outcome.result["score"] - sum(c["score"] for c in outcome.result["checks"])) > 1e-6:
        bad.append("total score is not the sum of the checks")
    for line in outcome.stdout.splitlines():
        if line.lstrip().startswith(("TOTAL", "{")) and MARK in line:
            bad.append(f"forged line on the grader's console: {line[:100]!r}")
        if "\x1b[2J" in line or "\x00" in line:
            bad.append("raw control characters from the submission on the grader's console")
            break
    for kind, text in outcome.outputs_after.items():
        if text is None:
            bad.append(f"report {kind} missing")
        elif MARK in text and kind != "junit.xml" and "<script>" not in text:
            if '"score": 100' in text:
                bad.append(f"report {kind} overwritten by the submission")
        if text is not None and kind == "junit.xml":
            bad += _junit_problems(text, len(got))
    if outcome.survivors:
        bad.append(f"processes outlived the grader: {outcome.survivors}")
    bad += _stray_files(Path(outcome.workdir))
    return bad


def _affected(case, fn):
    if not fn:
        return False
    if case.at == "import":
        return fn.split(".")[0] == case.module
    return fn == case.target


def _collateral(case, fn):
    return "*" in case.collateral or fn in case.collateral


def _junit_problems(text, n_checks):
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return [f"JUnit XML does not parse: {exc}"]
    cases = root.findall(".//testcase")
    if len(cases) != n_checks:
        return [f"JUnit XML has {len(cases)} testcases for {n_checks} checks (forged?)"]
    if any(MARK in (c.get("name") or "") for c in cases):
        return ["JUnit XML has a testcase named by the submission"]
    return []


def _stray_files(workdir: Path):
    bad = []
    for d in (workdir, workdir.parent, workdir.parent.parent, Path("/tmp"), Path("/work/main")):
        for n in ("results.json", "result.json", "grade.json", "junit.xml", "gradebook.csv"):
            p = d / n
            try:
                if p.exists() and MARK in p.read_text(errors="replace"):
                    bad.append(f"the submission wrote {p}")
                    p.unlink()
            except OSError:
                pass
    return bad
