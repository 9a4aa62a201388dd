"""The sandbox worker: imports the submission and runs the calls the grader asks for.

Runs as ``python -S -s -B _grader_worker.py CONFIG`` inside a scratch folder holding only
the provided utilities and the submission (package ``submission``). It confines itself
(:mod:`grader.sandbox.private_view`: its private file tree before numpy is imported, while
the process is single-threaded; :mod:`grader.sandbox.confine`: the other layers before the
first student import), then serves requests read from a dedicated pipe and answers on another, so nothing the student prints
reaches the protocol. Everything it sends back is untrusted by the parent. Standard library
and numpy only.
"""

import ctypes
import importlib
import importlib.abc
import importlib.util
import io
import json
import os
import random
import sys
import time
import traceback

CONFIG = json.loads(sys.argv[1])
sys.path[:] = CONFIG["sys_path"]

import _grader_confine as confine  # noqa: E402
import _grader_private_view as view  # noqa: E402

LIMITS = confine.set_limits(**CONFIG["limits"])


def _private_view():
    """Leave the host's file tree while still single-threaded (before numpy)."""
    if not CONFIG.get("view_root"):
        return {"private_view": False, "private_view_error": "not requested"}
    cwd = os.getcwd()
    try:
        kept = view.private_view(CONFIG["read_paths"], CONFIG["view_root"], cwd,
                                    CONFIG.get("view_links", []))
        return {"private_view": True, "private_view_paths": len(kept)}
    except OSError as exc:
        try:
            os.chdir(cwd)
        except OSError:
            pass
        return {"private_view": False, "private_view_error": str(exc)[:200]}


VIEW = _private_view()
import _grader_protocol as protocol  # noqa: E402
import numpy as np  # noqa: E402

STUDENT_MODULES = CONFIG["modules"]
PRESENT = set(CONFIG["present"])
PACKAGE = "submission"
REQ, RESP = CONFIG["req_fd"], CONFIG["resp_fd"]


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Lets ``import layers`` / ``from cs231n.layers import *`` reach the submission."""

    def __init__(self, table):
        self.table = table

    def find_spec(self, name, path=None, target=None):
        if name in self.table:
            return importlib.util.spec_from_loader(name, self, is_package=name == "cs231n")
        return None

    def create_module(self, spec):
        target = self.table[spec.name]
        return importlib.import_module(target) if target else None

    def exec_module(self, module):
        pass  # an alias is the target module itself, already executed


def _alias_table():
    table = {"cs231n": None}
    for m in STUDENT_MODULES:
        table[m] = table[f"cs231n.{m}"] = f"{PACKAGE}.{m}"
    for m in ("fast_layers", "solver", "gradient_check", "data_utils", "vis_utils"):
        table[f"cs231n.{m}"] = f"assignment.{m}"
    return table


class _CappedText(io.TextIOBase):
    """stdout/stderr replacement that keeps only the first ``cap`` characters."""

    def __init__(self, raw, cap=1 << 20):
        self.raw, self.left = raw, cap

    def write(self, s):
        s = str(s)
        if self.left > 0:
            chunk = s[: self.left]
            self.left -= len(chunk)
            try:
                self.raw.write(chunk)
                self.raw.flush()
            except OSError:
                self.left = 0
        return len(s)

    def flush(self):
        pass


class Failure(Exception):
    """A call that produced no value; ``kind`` is what the parent reports."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind, self.message = kind, message


HANDLES = {}
_next_handle = [0]
IMPORT_ERRORS = {}


def keep(obj):
    _next_handle[0] += 1
    HANDLES[_next_handle[0]] = obj
    return {"handle": _next_handle[0], "type": type(obj).__name__[:40]}


def _plain(v, depth=0):
    if v is None or isinstance(v, (bool, int, float, str, np.generic)):
        return not isinstance(v, np.generic) or v.dtype.kind in "biuf"
    if isinstance(v, np.ndarray):  # subclasses travel as plain arrays
        return v.dtype.kind in "biuf"
    if type(v) is dict and depth == 0:
        return all(type(k) is str and _plain(x, 1) for k, x in v.items())
    return False


def export(v, arrays, top=True):
    """Wire form of a result: plain values by value, everything else behind a handle."""
    if top and type(v) in (tuple, list):
        return {type(v).__name__: [export(x, arrays, False) for x in v]}
    if _plain(v):
        return protocol.encode(v, arrays)
    return keep(v)


def _student_where(tb):
    frames = [f for f in traceback.extract_tb(tb) if "/submission/" in f.filename]
    if not frames:
        return ""
    f = frames[-1]
    # the function lets the parent tell a forward that raised from a backward that did
    return f" ({os.path.basename(f.filename)}, line {f.lineno}, in {f.name})"


def student_module(name):
    if name not in STUDENT_MODULES:
        raise Failure("error", f"{name} is not a student module")
    if name not in PRESENT:
        raise Failure("missing", f"{name}.py is missing from the submission")
    if name in IMPORT_ERRORS:
        raise Failure("import_error", IMPORT_ERRORS[name])
    try:
        return importlib.import_module(f"{PACKAGE}.{name}")
    except BaseException as exc:  # noqa: BLE001 - SystemExit at import is the student's
        msg = f"importing {name}.py failed: {type(exc).__name__}: {str(exc)[:300]}"
        msg += _student_where(exc.__traceback__)
        IMPORT_ERRORS[name] = msg
        raise Failure("import_error", msg) from None


def target_of(req):
    if "handle" in req:
        obj = HANDLES.get(req["handle"])
        if obj is None:
            raise Failure("error", "unknown handle")
        name = req["name"]
        if not hasattr(obj, name):
            raise Failure("missing_function", f"{type(obj).__name__} has no attribute {name}")
        return getattr(obj, name)
    mod, _, name = req["target"].rpartition(".")
    if mod == "fast_layers":  # the provided fast layers, for the naive-vs-fast comparison
        try:
            module = importlib.import_module("assignment.fast_layers")
        except Exception as exc:  # noqa: BLE001
            raise Failure("error", f"the fast layers do not import: {exc}") from None
    else:
        module = student_module(mod)
    fn = getattr(module, name, None)
    if fn is None:
        raise Failure("missing_function", f"{name} is not defined in {mod}.py")
    return fn


def resolve(hid, kind):
    if hid not in HANDLES:
        raise Failure("error", "unknown handle")
    return HANDLES[hid]


def do_call(req, arrays):
    fn = target_of(req)
    args = protocol.decode(req.get("args", {"list": []}), arrays, resolve)
    kwargs = protocol.decode(req.get("kwargs", {"dict": {}}), arrays, resolve)
    seed = int(req.get("seed", 0))
    np.random.seed(seed)
    random.seed(seed)
    start = time.perf_counter()
    try:
        value = fn(*args, **kwargs)
    except NotImplementedError as exc:
        raise Failure("not_implemented", f"not implemented{_student_where(exc.__traceback__)}")
    except SystemExit as exc:
        raise Failure("exception", f"the code called sys.exit({exc.code!r})") from None
    except BaseException as exc:  # noqa: BLE001 - any student failure is reported
        text = f"{type(exc).__name__}: {str(exc)[:300]}{_student_where(exc.__traceback__)}"
        raise Failure("exception", text) from None
    seconds = time.perf_counter() - start
    out = []
    result = export(value, out)
    dicts = {str(i): protocol.encode(a, out) for i, a in enumerate(args) if _plain(a)
             and type(a) is dict}
    return {"ok": True, "value": result, "dicts": dicts, "seconds": seconds}, out


def do_getattr(req, arrays):
    obj = HANDLES.get(req["handle"])
    if obj is None or not hasattr(obj, req["name"]):
        raise Failure("missing_function", f"no attribute {req['name']}")
    value = getattr(obj, req["name"])
    out = []
    if callable(value) and not isinstance(value, (dict, np.ndarray)):
        return {"ok": True, "callable": True}, out
    return {"ok": True, "value": export(value, out)}, out


def do_setattr(req, arrays):
    obj = HANDLES.get(req["handle"])
    setattr(obj, req["name"], protocol.decode(req["value"], arrays, resolve))
    return {"ok": True}, []


def do_release(req, arrays):
    for h in req.get("handles", []):
        HANDLES.pop(h, None)
    return {"ok": True}, []


def do_import(req, arrays):
    student_module(req["module"])
    return {"ok": True}, []


OPS = {"call": do_call, "getattr": do_getattr, "setattr": do_setattr,
       "release": do_release, "import": do_import}


def blas_threads():
    """Threads numpy's OpenBLAS really uses, asked of the library itself (None when numpy
    links another BLAS), and the thread variables this process was given."""
    found = None
    try:
        # numpy's own copy of OpenBLAS (the worker has no /proc to list loaded libraries;
        # dlopen of a file already loaded returns the loaded library)
        libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
        names = os.listdir(libs) if os.path.isdir(libs) else []
        for path in sorted(os.path.join(libs, n) for n in names if "openblas" in n.lower()):
            lib = ctypes.CDLL(path)
            for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                         "openblas_get_num_threads"):
                fn = getattr(lib, name, None)
                if fn is not None:
                    found = int(fn())
                    break
    except (OSError, ValueError):
        pass
    env = {k: v for k, v in os.environ.items() if k.endswith("_NUM_THREADS")}
    return {"openblas": found, "env": env}


def confine_self():
    """Apply the remaining layers in order; report which ones hold (see grader.sandbox.confine)."""
    report = {"limits": LIMITS, "seccomp": False, "landlock_abi": 0, **VIEW,
              "capabilities_dropped": False, "uid": os.getuid()}
    try:
        report["landlock_abi"] = confine.apply_landlock(CONFIG["read_paths"],
                                                        CONFIG["write_paths"])
    except OSError as exc:
        report["landlock_error"] = str(exc)
    try:
        report["capabilities_dropped"] = confine.drop_capabilities()
    except OSError as exc:
        report["capabilities_error"] = str(exc)
    try:
        report["seccomp"] = confine.apply_seccomp()
    except OSError as exc:
        report["seccomp_error"] = str(exc)
    report["secrets_readable"] = [p for p in CONFIG.get("secrets", ()) if confine.readable(p)]
    report["layers"] = [name for name, on in (
        ("rlimits", any(v is not None for v in LIMITS.values())),
        ("private_view", report["private_view"]), ("landlock", report["landlock_abi"] > 0),
        ("capabilities", report["capabilities_dropped"]), ("seccomp", report["seccomp"]),
    ) if on]
    return report


def main():
    report = confine_self()
    sys.meta_path.insert(0, _Alias(_alias_table()))
    sys.stdout = _CappedText(sys.stdout)
    sys.stderr = _CappedText(sys.stderr)
    report["numpy"] = np.__version__
    report["threads"] = blas_threads()
    try:  # the provided fast layers must work before any student code runs
        importlib.import_module("assignment.fast_layers")
        report["fast_layers"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported to the parent: a broken installation
        report["fast_layers"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    protocol.write_all(RESP, protocol.pack({"ok": True, "ready": report}))
    while True:
        try:
            req, arrays = protocol.receive(REQ)
        except EOFError:
            os._exit(0)
        try:
            header, out = OPS[req["op"]](req, arrays)
        except Failure as f:
            header, out = {"ok": False, "kind": f.kind, "message": f.message}, []
        except Exception as exc:  # noqa: BLE001 - report, keep serving
            header, out = {"ok": False, "kind": "error", "message": f"{type(exc).__name__}: "
                           f"{str(exc)[:300]}"}, []
        header["nonce"] = req.get("nonce")
        protocol.write_all(RESP, protocol.pack(header, out))


if __name__ == "__main__":
    main()
