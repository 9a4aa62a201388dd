"""The kernel template: one process per submission that forks a fresh kernel per notebook.

:class:`Zygote` runs ``nb_kernel.py --zygote`` (:mod:`grader.sandbox.nb_kernel`): it imports
ipykernel, numpy, matplotlib and the provided utilities (:data:`PRELOAD`, trusted code
only) before any student code exists, then forks a kernel for each request; every child
confines itself before ipykernel starts. :func:`fork_provisioner_class` plugs it into
Jupyter's kernel manager (:class:`ForkedKernel` is the ``Popen``-like handle the manager
keeps); a template that fails leaves later kernels to Jupyter's own launcher.
:func:`kill_process_tree` ends a kernel (or the template) with everything it started.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

NB_KERNEL = Path(__file__).resolve().parents[1] / "sandbox" / "nb_kernel.py"
# Imported by the template before it forks a kernel: trusted code only (never
# assignment.implementation, which imports the submission).
PRELOAD = ("numpy", "matplotlib", "matplotlib.pyplot", "ipykernel.debugger", "pdb",
           "IPython.core.interactiveshell", "ipykernel.ipkernel", "ipykernel.zmqshell",
           "assignment.gradient_check", "assignment.data_utils", "assignment.solver",
           "assignment.vis_utils", "assignment.fast_layers")


def _proc_table():
    """``{pid: (ppid, pgid, sid)}`` of every process visible in ``/proc``."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        try:
            table[int(entry)] = (int(fields[1]), int(fields[2]), int(fields[3]))
        except (IndexError, ValueError):
            continue
    return table


def kill_process_tree(pid: int, leader: bool = True) -> int:
    """SIGKILL ``pid``, its descendants and every process of its group or session.

    The processes are stopped first so none can fork while the tree is being read. With
    ``leader=False`` (the kernel already reaped, so its number could in principle belong to
    someone else by now) only the other members of its group or session and their
    descendants are signalled: a group or session id is never reused while a member lives.
    Returns how many processes were signalled (0 where ``/proc`` is missing).
    """
    import signal

    if not os.path.isdir("/proc"):
        return 0
    victims: set[int] = set()
    for _ in range(3):  # stop, re-read (a process forked between two reads), stop again
        table = _proc_table()
        found = {p for p, (_, pgid, sid) in table.items()
                 if pid in (pgid, sid) and (leader or p != pid)}
        if leader and pid in table:
            found.add(pid)
        frontier = list(found)
        while frontier:
            parent = frontier.pop()
            for p, (ppid, _, _) in table.items():
                if ppid == parent and p not in found:
                    found.add(p)
                    frontier.append(p)
        found.discard(os.getpid())
        new = found - victims
        for p in new:
            try:
                os.kill(p, signal.SIGSTOP)
            except OSError:
                pass
        victims |= found
        if not new:
            break
    for p in victims:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    return len(victims)


def _alive(pid: int, parent: int | None = None) -> bool:
    """True while ``pid`` runs (not a zombie) and, when given, is still ``parent``'s child."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat[stat.rfind(")") + 2:].split()
    if not fields or fields[0] in ("Z", "X", "x"):
        return False
    return parent is None or (len(fields) > 1 and fields[1] == str(parent))


class ForkedKernel:
    """The ``Popen``-like handle Jupyter's manager keeps for a kernel forked by the
    template (a child of the template, not of the grader). The fork is requested without
    waiting (the template may still be importing); the pid is read when first needed."""

    stdin = stdout = stderr = None

    def __init__(self, zygote: Zygote, ticket: int):
        self.zygote, self.ticket, self.returncode = zygote, ticket, None

    @property
    def pid(self) -> int:
        """The kernel's pid (0 when the template could not fork it)."""
        return self.zygote.pid_of(self.ticket)

    def poll(self):
        if self.returncode is None and not (self.pid and _alive(self.pid, self.zygote.proc.pid)):
            self.returncode = -signal.SIGKILL  # the template reaps it; the code is unknown
        return self.returncode

    def wait(self, timeout=None):
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired("kernel", timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, sig):
        if self.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


class Zygote:
    """The template process (``nb_kernel.py --zygote``) and its request pipe.

    :meth:`request` queues a fork and returns at once; :meth:`pid_of` reads the answers,
    in order, until that request's. A template that fails is ``broken`` from then on (its
    pending kernels read as dead; later kernels start from scratch)."""

    TIMEOUT = 60.0

    def __init__(self, env: dict, cwd: Path, sys_path: list[str]):
        env = dict(env, GRADER_NB_ZYGOTE=json.dumps(
            {"cwd": str(cwd), "sys_path": sys_path, "preload": list(PRELOAD)}))
        env.pop("GRADER_NB_CONFINE", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-I", str(NB_KERNEL), "--zygote"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=str(cwd),
            start_new_session=True)
        self.ready = False
        self.broken = ""
        self.sent = 0
        self.pids: list[int] = []  # answers read so far, by request

    def _read(self, deadline: float) -> dict:
        line = b""
        fd = self.proc.stdout.fileno()
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError("the kernel template did not answer")
            chunk = os.read(fd, 1)  # line by line: an answer never reads into the next
            if not chunk:
                raise EOFError("the kernel template exited")
            line += chunk
            if len(line) > 4096:
                raise ValueError("the kernel template's answer is too long")
        answer = json.loads(line)
        if not isinstance(answer, dict):
            raise ValueError("the kernel template's answer is not an object")
        return answer

    def _fail(self, exc) -> None:
        self.broken = f"the kernel template failed: {type(exc).__name__}: {exc}"
        self.close()

    def request(self, argv: list[str], env: dict) -> int:
        """Queue the fork of a kernel running ``argv`` in ``env``; a ticket for
        :meth:`pid_of`. Raises ``OSError`` when the template is broken."""
        if self.broken:
            raise OSError(self.broken)
        try:
            self.proc.stdin.write(json.dumps({"argv": argv, "env": env}).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError as exc:
            self._fail(exc)
            raise OSError(self.broken) from None
        self.sent += 1
        return self.sent - 1

    def pid_of(self, ticket: int) -> int:
        """The pid the template forked for ``ticket`` (0 if it could not)."""
        deadline = time.monotonic() + self.TIMEOUT
        while len(self.pids) <= ticket and not self.broken:
            try:
                answer = self._read(deadline)
            except (OSError, EOFError, TimeoutError, ValueError) as exc:
                self._fail(exc)
                break
            if answer.get("ready"):
                self.ready = True
                continue
            pid = answer.get("pid")
            self.pids.append(pid if isinstance(pid, int) and pid > 0 else 0)
        return self.pids[ticket] if ticket < len(self.pids) else 0

    def close(self) -> None:
        if self.proc.poll() is None:
            kill_process_tree(self.proc.pid, leader=True)
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass


def fork_provisioner_class():
    from jupyter_client.provisioning import LocalProvisioner

    class ForkProvisioner(LocalProvisioner):
        """Launches the kernel by asking the template to fork it (Jupyter's own launcher
        when the template cannot). Returns without waiting for the fork."""

        zygote: Zygote | None = None
        forked: ForkedKernel | None = None

        @property
        def pid(self):
            return self.forked.pid if self.forked is not None else self.__dict__.get("_pid")

        @pid.setter
        def pid(self, value):
            self.__dict__["_pid"] = value

        @property
        def pgid(self):  # a forked kernel leads its own session and group
            return self.forked.pid if self.forked is not None else self.__dict__.get("_pgid")

        @pgid.setter
        def pgid(self, value):
            self.__dict__["_pgid"] = value

        async def launch_kernel(self, cmd, **kwargs):
            zygote = self.zygote
            if zygote is None or zygote.broken:
                return await super().launch_kernel(cmd, **kwargs)
            try:
                ticket = zygote.request([str(a) for a in cmd[3:]], dict(kwargs.get("env") or {}))
            except OSError:
                return await super().launch_kernel(cmd, **kwargs)
            self.forked = self.process = ForkedKernel(zygote, ticket)
            self.cwd = kwargs.get("cwd")
            return self.connection_info

    return ForkProvisioner
