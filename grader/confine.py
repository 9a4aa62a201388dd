"""Confinement the sandbox worker applies to itself before it imports student code.

Three layers, each optional where the platform lacks it (what was applied is reported back
to the parent and recorded in the result's environment):

- **rlimits**: address space, CPU seconds, processes, file size, open files, no core dumps;
- **seccomp** (x86-64 Linux): no ``fork``/``vfork``/``execve``, ``clone`` only for threads,
  no ``ptrace``, no sockets, and signals only to the worker itself;
- **Landlock** (Linux >= 5.13): reads only below the allowed folders (scratch folder, Python
  installation, numpy), no file writes (``/dev/null`` aside), no signals out of the domain.

This file is copied into the worker's scratch folder and run there, so it imports only
the standard library.
"""

import ctypes
import os
import platform
import resource

_libc = ctypes.CDLL(None, use_errno=True)
if platform.system() == "Linux":
    _libc.syscall.restype = ctypes.c_long
    _libc.prctl.restype = ctypes.c_int

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


def set_limits(memory_bytes, cpu_seconds, nproc=64, fsize_bytes=64 << 20, nofile=64):
    """Apply the worker's resource limits (soft and hard, so they cannot be raised again).

    Returns
    -------
    dict
        The limits applied, by name (a limit the platform refuses is recorded as None).
    """
    limits = {
        "RLIMIT_AS": memory_bytes,
        "RLIMIT_CPU": cpu_seconds,
        "RLIMIT_NPROC": nproc,
        "RLIMIT_FSIZE": fsize_bytes,
        "RLIMIT_NOFILE": nofile,
        "RLIMIT_CORE": 0,
    }
    applied = {}
    for name, value in limits.items():
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
            applied[name] = value
        except (ValueError, OSError, AttributeError):  # e.g. RLIMIT_AS on macOS
            applied[name] = None
    return applied


def _no_new_privs():
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")


# ---------------------------------------------------------------- seccomp (x86-64 only)
_X86_64 = {
    "arch": 0xC000003E, "clone": 56, "fork": 57, "vfork": 58, "execve": 59, "kill": 62,
    "ptrace": 101, "tkill": 200, "tgkill": 234, "execveat": 322, "clone3": 435,
    "socket": 41, "socketpair": 53, "process_vm_writev": 311, "pidfd_send_signal": 424,
}
_RET_ALLOW = 0x7FFF0000
_RET_KILL = 0x80000000  # SECCOMP_RET_KILL_PROCESS
_EPERM, _ENOSYS = 1, 38


def _errno(e):
    return 0x00050000 | e


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


def _bpf_program(pid):
    """The filter as a list of (code, jt, jf, k); jumps are relative, resolved here."""
    LD, JEQ, JSET, RET = 0x20, 0x15, 0x45, 0x06
    s = _X86_64
    deny = ["fork", "vfork", "execve", "execveat", "ptrace", "tkill", "socket", "socketpair",
            "process_vm_writev", "pidfd_send_signal"]
    JGE = 0x35
    # Any other syscall ABI (i386 ``int 0x80``, x32) would bypass the numbers below: kill.
    prog = [(LD, 0, 0, 4), (JEQ, 1, 0, s["arch"]), (RET, 0, 0, _RET_KILL), (LD, 0, 0, 0),
            (JGE, 0, 1, 0x40000000), (RET, 0, 0, _RET_KILL)]
    for name in deny:
        prog += [(JEQ, 0, 1, s[name]), (RET, 0, 0, _errno(_EPERM))]
    prog += [(JEQ, 0, 1, s["clone3"]), (RET, 0, 0, _errno(_ENOSYS))]
    # clone: threads only (CLONE_THREAD set in the flags, argument 0).
    prog += [(JEQ, 0, 4, s["clone"]), (LD, 0, 0, 16), (JSET, 0, 1, 0x00010000),
             (RET, 0, 0, _RET_ALLOW), (RET, 0, 0, _errno(_EPERM))]
    # kill / tgkill: only to ourselves (argument 0 is the target pid / tgid).
    for name in ("kill", "tgkill"):
        prog += [(JEQ, 0, 4, s[name]), (LD, 0, 0, 16), (JEQ, 0, 1, pid),
                 (RET, 0, 0, _RET_ALLOW), (RET, 0, 0, _errno(_EPERM)), (LD, 0, 0, 0)]
    prog += [(RET, 0, 0, _RET_ALLOW)]
    return prog


def apply_seccomp():
    """Install the syscall filter; returns False when the platform has none."""
    if platform.system() != "Linux" or platform.machine() != "x86_64":
        return False
    prog = _bpf_program(os.getpid())
    arr = (_SockFilter * len(prog))(*[_SockFilter(*ins) for ins in prog])
    fprog = _SockFprog(len(prog), ctypes.cast(arr, ctypes.POINTER(_SockFilter)))
    _no_new_privs()
    if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
    return True


# ---------------------------------------------------------------- Landlock
_LL_CREATE, _LL_ADD_RULE, _LL_RESTRICT = 444, 445, 446  # same numbers on x86-64 and arm64
_LL_VERSION = 1
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_ALL_V1 = (1 << 13) - 1
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1, 2
_NET_ALL = 3


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi():
    """The kernel's Landlock ABI version, 0 when unavailable."""
    if platform.system() != "Linux":
        return 0
    abi = _libc.syscall(_LL_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(_LL_VERSION))
    return max(int(abi), 0)


def apply_landlock(read_paths, write_paths):
    """Restrict this process to reading ``read_paths`` and writing ``write_paths``.

    Parameters
    ----------
    read_paths, write_paths : list of str
        Folders (or files); access is granted to everything beneath them. Paths that do not
        exist are skipped.

    Returns
    -------
    int
        The Landlock ABI used (0: not applied).
    """
    abi = landlock_abi()
    if abi == 0:
        return 0
    fs = _FS_ALL_V1
    if abi >= 2:
        fs |= _FS_REFER
    if abi >= 3:
        fs |= _FS_TRUNCATE
    if abi >= 5:
        fs |= _FS_IOCTL_DEV
    attr = _RulesetAttr(fs, _NET_ALL if abi >= 4 else 0,
                        (_SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL) if abi >= 6 else 0)
    size = 24 if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = _libc.syscall(_LL_CREATE, ctypes.byref(attr), ctypes.c_size_t(size),
                            ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    read = _FS_READ_FILE | _FS_READ_DIR
    write = fs & ~_FS_EXECUTE
    try:
        for paths, access in ((read_paths, read), (write_paths, write)):
            for path in paths:
                if not os.path.exists(path):
                    continue
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                try:
                    allowed = access
                    if not os.path.isdir(path):
                        allowed &= _FS_READ_FILE | _FS_WRITE_FILE | _FS_TRUNCATE
                    rule = _PathBeneath(allowed, fd)
                    if _libc.syscall(_LL_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(1),
                                     ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                        raise OSError(ctypes.get_errno(), f"landlock_add_rule {path} failed")
                finally:
                    os.close(fd)
        _no_new_privs()
        if _libc.syscall(_LL_RESTRICT, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return abi
