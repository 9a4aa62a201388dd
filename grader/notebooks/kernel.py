"""The confined Jupyter kernels that run one submission's notebooks, and their end.

:class:`KernelBox` stages the submission once and makes the manager of each fresh confined
kernel (launched by :mod:`grader.sandbox.nb_kernel`, over IPC sockets in a private folder);
:meth:`KernelBox.stop` kills a kernel with everything it might have started
(:func:`kill_process_tree`). :func:`reset_namespace` empties a kernel between two notebooks.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from grader.sandbox.users import secret_paths

from .staging import read_paths, stage

NB_KERNEL = Path(__file__).resolve().parents[1] / "sandbox" / "nb_kernel.py"
CONFINE_PY = Path(__file__).resolve().parents[1] / "sandbox" / "confine.py"
_ENV_KEEP = ("PATH", "LANG", "LC_ALL", "TZ", "CIFAR10_DIR", "FASHION_MNIST_DIR")


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


class KernelBox:
    """The staged submission and the confined kernels that run its notebooks, one at a time.

    The submission is staged once; :meth:`kernel` makes the manager of a fresh confined
    kernel (nbclient starts it), :meth:`stop` kills it with everything it might have started.
    """

    def __init__(self, tmp: Path, submission_dir: Path, memory_mb: int, landlock: bool):
        from jupyter_client.kernelspec import KernelSpecManager

        self.tmp, self.memory_mb, self.landlock = tmp, memory_mb, landlock
        # A kernel that can still read the grader's files runs no student code, unless
        # Landlock was turned off on purpose (tests of the rest) or by the override.
        self.allow_visible_oracle = not landlock or bool(
            os.environ.get("GRADER_ALLOW_VISIBLE_ORACLE"))
        self.stage_dir = stage(submission_dir, tmp / "stage")
        self.work, self.home = tmp / "work", tmp / "home"
        for d in (self.work, self.home):
            d.mkdir()
        spec_dir = tmp / "kernels" / "grader-sandbox"
        spec_dir.mkdir(parents=True)
        launcher = NB_KERNEL
        (spec_dir / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-I", str(launcher), "-f", "{connection_file}",
                     "--HistoryManager.enabled=False"],
            "display_name": "graded notebook", "language": "python"}))
        self.ksm = KernelSpecManager(kernel_dirs=[str(tmp / "kernels")],
                                     ensure_native_kernel=False)
        self.read_paths = read_paths(self.stage_dir)
        warm_matplotlib_cache(self.home)
        self.started = 0
        self.sock: Path | None = None

    def kernel(self, cpu_seconds: float):
        """A new kernel manager (not started) and the kernel's whole environment."""
        from jupyter_client.manager import AsyncKernelManager

        self.started += 1
        self.sock = sock = self.tmp / f"k{self.started}"
        sock.mkdir()
        cfg = {
            "confine_py": str(CONFINE_PY),
            "cwd": str(self.work), "sys_path": [str(self.stage_dir)],
            "memory_bytes": self.memory_mb << 20, "cpu_seconds": int(cpu_seconds) + 5,
            "fsize_bytes": 64 << 20, "nofile": 256, "landlock": self.landlock,
            "report_file": str(sock / "confined.json"), "read_paths": self.read_paths,
            "write_paths": [str(sock), str(self.work), str(self.home)],
            "secrets": [] if self.allow_visible_oracle else secret_paths(),
        }
        env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
        env.update(HOME=str(self.home), MPLCONFIGDIR=str(self.home),
                   IPYTHONDIR=str(self.home / ".ipython"), JUPYTER_RUNTIME_DIR=str(self.home),
                   ASSIGNMENT_IMPL="student", ASSIGNMENT_SMALL_DATA="1", OMP_NUM_THREADS="1",
                   OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0",
                   GRADER_NB_CONFINE=json.dumps(cfg))
        km = AsyncKernelManager(kernel_name="grader-sandbox", transport="ipc",
                                ip=str(sock / "s"), connection_file=str(sock / "connection.json"),
                                kernel_spec_manager=self.ksm)
        return km, env

    def confinement(self) -> dict:
        """What the current kernel reported about its confinement (empty if nothing)."""
        try:
            return json.loads((self.sock / "confined.json").read_text())
        except (OSError, ValueError, TypeError):
            return {}

    def stop(self, km) -> None:
        """Kill the kernel of ``km`` with its descendants, process group and session."""
        from jupyter_core.utils import run_sync

        if km is None:
            return
        kernel_pid = None
        try:
            if km.has_kernel:
                if km.provisioner is not None and km.provisioner.pid:
                    kernel_pid = km.provisioner.pid
                    # the kernel may not fork (seccomp), but whatever it might have
                    # started dies with it: descendants, process group and session
                    kill_process_tree(kernel_pid)
                run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001,S110 -- already dead is fine
            pass
        kernel_pid = kernel_pid or int(self.confinement().get("pid") or 0) or None
        if kernel_pid:  # group and session members left (the kernel led a new session)
            kill_process_tree(kernel_pid, leader=False)


# Run between two notebooks sharing a kernel: the next one starts from an empty namespace,
# re-imports the submission's modules, and sees no figure of the previous one.
_RESET = """\
import sys as _sys
for _m in [m for m in _sys.modules if m == "assignment" or m.startswith("assignment.")]:
    del _sys.modules[_m]
try:
    import matplotlib.pyplot as _plt
    _plt.close("all")
except Exception:
    pass
get_ipython().run_line_magic("reset", "-f")
"""


def reset_namespace(kc) -> bool:
    """Run :data:`_RESET` through the kernel client ``kc``; False if it did not answer ok."""
    from jupyter_core.utils import run_sync

    try:
        reply = run_sync(kc.execute_interactive)(
            _RESET, silent=True, store_history=False, timeout=30,
            output_hook=lambda msg: None)
        return reply.get("content", {}).get("status") == "ok"
    except Exception:  # noqa: BLE001 -- a kernel that can't reset is replaced
        return False


def stop_channels(kc) -> None:
    """Close the ZMQ channels of the kernel client ``kc`` (nbclient leaves them open on a
    kernel it was given rather than started)."""
    try:
        if kc is not None:
            kc.stop_channels()
    except Exception:  # noqa: BLE001,S110 -- closing is best effort
        pass


def warm_matplotlib_cache(home: Path) -> None:
    """Copy the grader's matplotlib font cache so each kernel doesn't rebuild it (~1 s)."""
    try:
        # matplotlib.get_cachedir() without importing matplotlib in the grader
        cache = (Path(os.environ["MPLCONFIGDIR"]) if os.environ.get("MPLCONFIGDIR") else
                 Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "matplotlib")
        for f in cache.glob("fontlist-*.json"):
            shutil.copy2(f, home / f.name)
    except Exception:  # noqa: BLE001,S110 -- only an optimisation
        pass
