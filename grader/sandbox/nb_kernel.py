"""Launcher of the sandboxed Jupyter kernel that runs a submitted notebook.

Run as ``python -I nb_kernel.py -f CONNECTION_FILE`` by the kernel spec that
:mod:`grader.notebooks.run` writes. It confines itself *before* any thread or socket exists, so
every thread of the kernel inherits the confinement, then starts an ordinary ipykernel:

- rlimits (memory, CPU seconds, file size, open files, no core dumps);
- Landlock: read only the staged submission, the Python installation and the data folders;
  write only the scratch folder; no TCP (the kernel talks to the grader over Unix sockets);
- capabilities dropped (a kernel started as root keeps uid 0 but no privilege);
- seccomp (x86-64): no ``fork``/``vfork``/``execve``, ``clone`` only for threads (ipykernel
  runs its heartbeat, control and iopub channels in threads), ``clone3`` answered ENOSYS so
  glibc falls back to ``clone``; sockets only of the ``AF_UNIX`` family (ZMQ's ``ipc``
  transport); no ``ptrace``/``process_vm_*``/pidfd/io_uring; no mounts or namespaces;
  ``kill``/``tgkill`` only to the kernel itself; any other syscall ABI kills the kernel.
  A process cannot fork, so RLIMIT_NPROC (which does not bind root) is not what stops a
  fork storm, and nothing can outlive the kernel.

The settings come in the environment variable ``GRADER_NB_CONFINE`` (JSON), which is
removed before student code runs. Imports only the standard library until ipykernel.

**Template mode** (``python -I nb_kernel.py --zygote``, started by
:mod:`grader.notebooks.kernel` once per submission): a process that runs no student code
imports ipykernel, numpy, matplotlib and the provided utilities once (the modules named in
``GRADER_NB_ZYGOTE``), then forks one kernel per request read from its stdin. Each child
leaves the template's session, drops every inherited descriptor (the request pipe
included: a kernel cannot talk to the grader but through its Jupyter sockets), dies with
the template, takes the request's environment and then confines itself exactly as above
before ipykernel starts. So every notebook gets a fresh kernel process that shares no
state with another one, without paying the imports each time (about 1.3 s of CPU).
"""

import ctypes
import importlib.util
import json
import os
import platform
import resource
import sys

_AF_UNIX, _AF_NETLINK = 1, 16
_EOPNOTSUPP, _EAFNOSUPPORT = 95, 97
_CLONE_THREAD = 0x00010000


def seccomp_program(confine, pid):
    """The kernel's BPF filter as (code, jt, jf, k) tuples (relative jumps).

    Like the worker's filter (:func:`grader.sandbox.confine._bpf_program`) except that ``socket`` and
    ``socketpair`` are allowed for ``AF_UNIX``, which the kernel's ZMQ channels need.
    """
    LD, JEQ, JGE, JSET, RET = confine.LD, confine.JEQ, confine.JGE, confine.JSET, confine.RET
    nr = confine._X86_64
    allow, kill, eperm = confine._RET_ALLOW, confine._RET_KILL, confine._errno(confine._EPERM)
    arg0 = confine.ARG0
    prog = [(LD, 0, 0, 4), (JEQ, 1, 0, nr["arch"]), (RET, 0, 0, kill), (LD, 0, 0, 0),
            (JGE, 0, 1, 0x40000000), (RET, 0, 0, kill)]  # x32 ABI
    for name in confine.DENY:
        prog += [(JEQ, 0, 1, nr[name]), (RET, 0, 0, eperm)]
    prog += [(JEQ, 0, 1, nr["clone3"]), (RET, 0, 0, confine._errno(confine._ENOSYS))]
    # clone: threads only
    prog += [(JEQ, 0, 4, nr["clone"]), (LD, 0, 0, arg0), (JSET, 0, 1, _CLONE_THREAD),
             (RET, 0, 0, allow), (RET, 0, 0, eperm)]
    # socket / socketpair: AF_UNIX only (argument 0 is the family). Other families get
    # EAFNOSUPPORT; AF_NETLINK gets EOPNOTSUPP, the one answer under which libzmq's interface
    # lookup (getifaddrs, when ipykernel tries its TCP pipe) fails cleanly instead of aborting.
    for name in ("socket", "socketpair"):
        prog += [(JEQ, 0, 6, nr[name]), (LD, 0, 0, arg0), (JEQ, 0, 1, _AF_UNIX),
                 (RET, 0, 0, allow), (JEQ, 0, 1, _AF_NETLINK),
                 (RET, 0, 0, confine._errno(_EOPNOTSUPP)),
                 (RET, 0, 0, confine._errno(_EAFNOSUPPORT)), (LD, 0, 0, 0)]
    # kill / tgkill only to the kernel itself, prlimit64 only on its own limits
    prog += confine.self_only(pid)
    prog += [(RET, 0, 0, allow)]
    return prog


def apply_seccomp(confine):
    """Install :func:`seccomp_program`; False where the platform has no such filter."""
    if platform.system() != "Linux" or platform.machine() != "x86_64":
        return False
    prog = seccomp_program(confine, os.getpid())
    arr = (confine._SockFilter * len(prog))(*[confine._SockFilter(*ins) for ins in prog])
    fprog = confine._SockFprog(len(prog), ctypes.cast(arr, ctypes.POINTER(confine._SockFilter)))
    confine._no_new_privs()
    libc = confine._libc
    if libc.prctl(confine.PR_SET_SECCOMP, confine.SECCOMP_MODE_FILTER, ctypes.byref(fprog),
                  0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
    return True


def _confine(cfg):
    spec = importlib.util.spec_from_file_location("_grader_confine", cfg["confine_py"])
    confine = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(confine)
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    confine.set_limits(cfg["memory_bytes"], cfg["cpu_seconds"], nproc=nproc,
                       fsize_bytes=cfg["fsize_bytes"], nofile=cfg["nofile"])
    abi = 0
    if cfg.get("landlock", True):
        abi = confine.apply_landlock(cfg["read_paths"], cfg["write_paths"])
    report = {"landlock_abi": abi, "pid": os.getpid()}
    caps = False
    if cfg.get("drop_capabilities", True) and hasattr(confine, "drop_capabilities"):
        caps = bool(confine.drop_capabilities())
    report["capabilities_dropped"] = caps
    report["seccomp"] = apply_seccomp(confine) if cfg.get("seccomp", True) else False
    report["secrets_readable"] = [p for p in cfg.get("secrets", ()) if confine.readable(p)]
    with open(cfg["report_file"], "w") as f:
        json.dump(report, f)
    if report["secrets_readable"]:
        # Confinement did not hide the answers (no Landlock here): run no student code.
        os._exit(3)



def _start_kernel(argv):
    """Confine this process with ``GRADER_NB_CONFINE`` and run ipykernel on ``argv``."""
    cfg = json.loads(os.environ.pop("GRADER_NB_CONFINE"))
    os.chdir(cfg["cwd"])
    sys.path[:0] = [p for p in cfg["sys_path"] if p not in sys.path]
    _confine(cfg)
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance(argv=argv)


def _threads():
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def _child(request):
    """In the forked child: a new session, no inherited descriptor, the request's
    environment, then the confined kernel. Never returns."""
    try:
        os.setsid()
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG: SIGKILL when the template dies
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, 65536)
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in request["env"].items()})
        _start_kernel([str(a) for a in request["argv"]])
    finally:
        os._exit(0)


def zygote():
    """Import once, then fork a kernel for each JSON request line read from stdin."""
    cfg = json.loads(os.environ.pop("GRADER_NB_ZYGOTE"))
    os.chdir(cfg["cwd"])
    sys.path[:0] = cfg["sys_path"]
    import ipykernel.kernelapp  # noqa: F401 -- the point is to have it imported
    for name in cfg.get("preload", ()):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001,S112 -- a kernel imports it again, and says why
            continue
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    answers.write(b'{"ready": true}\n')
    answers.flush()
    for line in requests:
        try:
            request = json.loads(line)
            if _threads() != 1:  # forking a threaded process is unsafe: refuse
                raise OSError("the template process has threads")
            pid = os.fork()
        except (ValueError, OSError) as exc:
            answers.write(json.dumps({"error": str(exc)[:200]}).encode() + b"\n")
            answers.flush()
            continue
        if pid == 0:
            _child(request)
        answers.write(json.dumps({"pid": pid}).encode() + b"\n")
        answers.flush()
    os._exit(0)  # the grader closed the pipe: the kernels die with us (PR_SET_PDEATHSIG)


def main():
    if sys.argv[1:] == ["--zygote"]:
        zygote()
    else:
        _start_kernel(sys.argv[1:])


if __name__ == "__main__":
    main()
