"""The worker's private file tree: a mount namespace holding only what it may read.

Applied by the worker to itself while still single-threaded (before numpy), before
Landlock (which forbids mounting) and before seccomp; see :func:`private_view`. The
file-hiding layer that does not depend on Landlock: the grader package, its expected
outputs and the reference do not exist inside the view.

This file is copied into the worker's scratch folder (``_grader_private_view.py``) and run
there, so it imports only the standard library.
"""

import ctypes
import os
import platform

_libc = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWNS, _CLONE_NEWUSER = 0x00020000, 0x10000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_REMOUNT = 1, 2, 4, 32
_MS_BIND, _MS_REC, _MS_PRIVATE = 4096, 16384, 1 << 18
_MNT_DETACH = 2
_SYS_PIVOT_ROOT, _SYS_MOUNT_SETATTR = 155, 442
_AT_FDCWD, _AT_RECURSIVE = -100, 0x8000
_MOUNT_ATTR_RDONLY, _MOUNT_ATTR_NOSUID = 1, 2


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def _check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source, target, fstype, flags, data=None):
    enc = (lambda v: None if v is None else os.fsencode(v))
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags),
                       enc(data)), f"mount {target}")


def _read_only(target):
    """Make the mount at ``target`` and every mount below it read-only and nosuid."""
    attr = _MountAttr(_MOUNT_ATTR_RDONLY | _MOUNT_ATTR_NOSUID, 0, 0, 0)
    ret = _libc.syscall(_SYS_MOUNT_SETATTR, ctypes.c_int(_AT_FDCWD), os.fsencode(target),
                        ctypes.c_uint(_AT_RECURSIVE), ctypes.byref(attr),
                        ctypes.c_size_t(ctypes.sizeof(attr)))
    if ret == 0:
        return
    if ctypes.get_errno() != 38:  # ENOSYS: a kernel older than 5.12, remount the top only
        _check(ret, f"mount_setattr {target}")
    locked = 0  # flags of the source mount that a user namespace may not clear
    flags = os.statvfs(target).f_flag
    for st, ms in ((os.ST_NODEV, _MS_NODEV), (getattr(os, "ST_NOEXEC", 8), 8),
                   (getattr(os, "ST_NOATIME", 1024), 1024),
                   (getattr(os, "ST_NODIRATIME", 2048), 2048),
                   (getattr(os, "ST_RELATIME", 4096), 1 << 21)):
        if flags & st:
            locked |= ms
    _mount(None, target, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | locked)


def _mirror_links(paths, root):
    """Recreate, below ``root``, every symlink met on the way to ``paths`` (``/lib`` ...)."""
    for path in paths:
        cur = ""
        for part in [p for p in path.split("/") if p]:
            cur += "/" + part
            if not os.path.islink(cur):
                continue
            inside = root + cur
            if not os.path.lexists(inside):
                os.makedirs(os.path.dirname(inside), exist_ok=True)
                os.symlink(os.readlink(cur), inside)


def private_view(read_paths, root, cwd, links=()):
    """Leave the host's file tree: see only ``read_paths``, read-only, at their own paths.

    A new mount namespace (and, when not root, a user namespace mapping the user to itself)
    in which an empty tmpfs mounted on ``root`` receives a read-only bind mount of each of
    ``read_paths`` (and the symlinks leading to ``links``), then becomes ``/`` by
    ``pivot_root``; the old root is detached, so nothing else -- the grader, its expected
    outputs, the reference -- can be named any more. Must run single-threaded, before
    Landlock (which forbids mounting) and before seccomp.

    Parameters
    ----------
    read_paths : list of str
        Resolved folders or files to keep; missing ones are skipped, nested ones are kept
        by their ancestor.
    root : str
        An empty folder (in the scratch folder) to build the new root on.
    cwd : str
        The working folder to return to inside the new root (must be below a kept path).
    links : list of str
        Unresolved paths whose symlinked components (``/lib -> usr/lib``) are recreated.

    Returns
    -------
    list of str
        The paths that are visible.
    """
    if platform.system() != "Linux":
        raise OSError(38, "mount namespaces need Linux")
    uid, gid = os.getuid(), os.getgid()
    flags = _CLONE_NEWNS if uid == 0 else _CLONE_NEWUSER | _CLONE_NEWNS
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")
    if uid != 0:  # we are "root" in our own user namespace; keep our ids as they were
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                           ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing we do leaks to the host
    root = os.path.realpath(root)
    _mount("tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m,mode=0755")
    kept = []
    for path in sorted({os.path.realpath(p) for p in read_paths}):
        if not os.path.exists(path) or path == "/":
            continue
        if any(path.startswith(k.rstrip("/") + "/") for k in kept):
            continue  # visible through its kept ancestor
        target = root + path
        if os.path.isdir(path):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "a").close()
        # Recursive (submounts too), except for a path holding the new root itself.
        rec = 0 if root == path or root.startswith(path.rstrip("/") + "/") else _MS_REC
        _mount(path, target, None, _MS_BIND | rec)
        _read_only(target)
        kept.append(path)
    _mirror_links(links, root)
    os.chdir(root)
    _check(_libc.syscall(_SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", ctypes.c_int(_MNT_DETACH)), "umount old root")
    os.chdir("/")
    _mount(None, "/", None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    os.chdir(cwd)
    return kept
