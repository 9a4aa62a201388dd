"""Who the worker runs as, and what it must never read.

A grader running as root starts the worker as ``nobody`` when that user can run the Python
installation (:func:`unprivileged_user`); :func:`secret_paths` lists the files the confined
worker and notebook kernel try to open once confined, to prove they cannot.
"""

import os
import platform
import pwd
import stat
import sys
import sysconfig
from pathlib import Path

GRADER_DIR = Path(__file__).resolve().parent.parent


def _others_can_read(path):
    """True when a user owning nothing on the way may read ``path`` (and list it, if a dir)."""
    path = os.path.realpath(path)
    try:
        st = os.stat(path)
        need = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(st.st_mode) else 0)
        if st.st_mode & need != need:
            return False
        parent = os.path.dirname(path)
        while True:
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
            if parent == os.path.dirname(parent):
                return True
            parent = os.path.dirname(parent)
    except OSError:
        return False


def unprivileged_user(scratch):
    """``(uid, gid, None)`` of ``nobody`` when a root grader can run the worker as it, else
    ``(None, None, reason)``."""
    if platform.system() != "Linux" or os.geteuid() != 0:
        return None, None, "the grader does not run as root"
    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        return None, None, "no user 'nobody'"
    if user.pw_uid == 0:
        return None, None, "'nobody' is uid 0"
    stdlib = sysconfig.get_paths()["stdlib"]
    import numpy as np

    need = [sys.executable, stdlib, os.path.join(stdlib, "lib-dynload"),
            os.path.dirname(np.__file__), os.path.dirname(scratch)]
    blocked = [p for p in need if not _others_can_read(p)]
    if blocked:
        return None, None, f"'nobody' cannot read {os.path.realpath(blocked[0])}"
    return user.pw_uid, user.pw_gid, None



def secret_paths():
    """What student code must not read: the stored expected outputs, the reference and the
    grader's own files. The worker tries to open each once confined and reports what it
    could (see :func:`grader.api.grade`, which then refuses to grade)."""
    paths = [GRADER_DIR / "golden" / "expected" / "manifest.json", GRADER_DIR / "api.py",
             GRADER_DIR.parent / "assignment" / "reference"]
    return [str(p) for p in paths if p.exists()]
