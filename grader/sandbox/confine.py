"""Confinement the sandbox worker applies to itself before it imports student code.

Five layers, each optional where the platform lacks it (what was applied is reported back
to the parent and recorded in the result's environment):

- **rlimits**: address space, CPU seconds, processes, file size, open files, no core dumps;
- **private view** (Linux mount namespace; a user namespace too when not root): the worker
  pivots into a read-only tmpfs holding bind mounts of the allowed folders only (scratch
  folder, Python installation, numpy, system libraries), so the grader package, its expected
  outputs and the reference do not exist for it -- the file-hiding layer that does not
  depend on Landlock (its own module, :mod:`grader.sandbox.private_view`);
- **Landlock** (Linux >= 5.13): reads only below the allowed folders, no file writes
  (``/dev/null`` aside), no signals out of the domain;
- **capabilities** dropped (all sets, bounding and ambient too), so a worker running as
  root can neither undo its mounts nor bypass file permissions or ptrace checks;
- **seccomp** (x86-64 Linux): no ``fork``/``vfork``/``execve``, ``clone`` only for threads,
  no ``ptrace``/``process_vm_readv``/pidfd, no sockets or io_uring, no mount or namespace
  changes, signals only to the worker itself, and no changing another process's limits,
  priority, CPU affinity or memory placement (all a same-uid neighbour would need).

This file is copied into the worker's scratch folder (``_grader_confine.py``) and run there, so it imports only
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


def readable(path):
    """True when this process can read ``path`` (a file's bytes or a folder's listing)."""
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as f:
                f.read(1)
        return True
    except OSError:
        return False


def _no_new_privs():
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")


# ---------------------------------------------------------------- seccomp (x86-64 only)
_X86_64 = {
    "arch": 0xC000003E, "clone": 56, "fork": 57, "vfork": 58, "execve": 59, "kill": 62,
    "ptrace": 101, "tkill": 200, "tgkill": 234, "execveat": 322, "clone3": 435,
    "socket": 41, "socketpair": 53, "process_vm_writev": 311, "pidfd_send_signal": 424,
    # signals by other roads, another process's memory, another process's descriptors
    "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297, "process_vm_readv": 310,
    "pidfd_open": 434, "pidfd_getfd": 438,
    # io_uring runs socket/connect/openat... operations without those syscalls
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    # the private view must stay as built: no (un)mounting, no new or other namespaces
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272,
    "setns": 308, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
    "fsmount": 432, "fspick": 433, "mount_setattr": 442, "open_by_handle_at": 304,
    # another process's limits, priority, CPUs, memory placement: the same uid is all these
    # ask, and every worker of a batch shares one (a neighbour's RLIMIT_CPU set to 1 s, or
    # the grader's RLIMIT_NOFILE to 3, would cost grades that are not the student's own)
    "prlimit64": 302, "setpriority": 141, "sched_setaffinity": 203, "sched_setparam": 142,
    "sched_setscheduler": 144, "sched_setattr": 314, "ioprio_set": 251,
    "migrate_pages": 256, "move_pages": 279, "process_madvise": 440, "kcmp": 312,
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


# Denied outright (EPERM) in every confined process, the worker and the notebook kernel.
DENY = ("fork", "vfork", "execve", "execveat", "ptrace", "tkill", "process_vm_readv",
        "process_vm_writev", "pidfd_open", "pidfd_getfd", "pidfd_send_signal",
        "rt_sigqueueinfo", "rt_tgsigqueueinfo", "io_uring_setup", "io_uring_enter",
        "io_uring_register", "mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
        "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
        "open_by_handle_at", "setpriority", "sched_setaffinity", "sched_setparam",
        "sched_setattr", "ioprio_set", "migrate_pages", "move_pages",
        "process_madvise", "kcmp")
LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
ARG0 = 16  # offsetof(struct seccomp_data, args[0]); low 32 bits on little-endian
ARG1 = 24


def self_only(pid):
    """Filter blocks letting ``kill``/``tgkill`` reach only ``pid``, ``prlimit64`` change
    only our own limits (pid argument 0, as ``setrlimit`` sends, or ``pid``) and
    ``sched_setscheduler`` set only the default policy ``SCHED_OTHER`` (libzmq's threads
    set it on themselves, by thread id, which a filter cannot tell from a neighbour's pid;
    on a neighbour it changes nothing, while ``SCHED_IDLE`` would starve it).

    Each block leaves the syscall number in the accumulator when it does not match."""
    s, allow, eperm = _X86_64, _RET_ALLOW, _errno(_EPERM)
    prog = []
    for name in ("kill", "tgkill"):
        prog += [(JEQ, 0, 4, s[name]), (LD, 0, 0, ARG0), (JEQ, 0, 1, pid),
                 (RET, 0, 0, allow), (RET, 0, 0, eperm), (LD, 0, 0, 0)]
    prog += [(JEQ, 0, 4, s["sched_setscheduler"]), (LD, 0, 0, ARG1), (JEQ, 0, 1, 0),
             (RET, 0, 0, allow), (RET, 0, 0, eperm), (LD, 0, 0, 0)]
    prog += [(JEQ, 0, 5, s["prlimit64"]), (LD, 0, 0, ARG0), (JEQ, 2, 0, 0), (JEQ, 1, 0, pid),
             (RET, 0, 0, eperm), (RET, 0, 0, allow)]
    return prog


def _bpf_program(pid):
    """The filter as a list of (code, jt, jf, k); jumps are relative, resolved here."""
    s = _X86_64
    # Any other syscall ABI (i386 ``int 0x80``, x32) would bypass the numbers below: kill.
    prog = [(LD, 0, 0, 4), (JEQ, 1, 0, s["arch"]), (RET, 0, 0, _RET_KILL), (LD, 0, 0, 0),
            (JGE, 0, 1, 0x40000000), (RET, 0, 0, _RET_KILL)]
    for name in DENY + ("socket", "socketpair"):
        prog += [(JEQ, 0, 1, s[name]), (RET, 0, 0, _errno(_EPERM))]
    prog += [(JEQ, 0, 1, s["clone3"]), (RET, 0, 0, _errno(_ENOSYS))]
    # clone: threads only (CLONE_THREAD set in the flags, argument 0).
    prog += [(JEQ, 0, 4, s["clone"]), (LD, 0, 0, ARG0), (JSET, 0, 1, 0x00010000),
             (RET, 0, 0, _RET_ALLOW), (RET, 0, 0, _errno(_EPERM))]
    prog += self_only(pid)
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


# ---------------------------------------------------------------- capabilities
def _check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


_PR_CAPBSET_DROP, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 24, 47, 4
_SYS_CAPGET, _SYS_CAPSET = 125, 126


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


def drop_capabilities():
    """Give up every capability (bounding, ambient, effective, permitted, inheritable).

    A worker started as root keeps uid 0 but can no longer override file permissions,
    (un)mount, ptrace or signal processes of other users. Returns True when applied.
    """
    if platform.system() != "Linux":
        return False
    for cap in range(64):
        _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)  # EINVAL past the last capability
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (ctypes.c_uint32 * 6)()  # two {effective, permitted, inheritable}: all zero
    _check(_libc.syscall(_SYS_CAPSET, ctypes.byref(header), data), "capset")
    got = (ctypes.c_uint32 * 6)(*([0xFFFFFFFF] * 6))
    header = _CapHeader(0x20080522, 0)
    _check(_libc.syscall(_SYS_CAPGET, ctypes.byref(header), got), "capget")
    return not any(got)
