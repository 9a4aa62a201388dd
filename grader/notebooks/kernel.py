"""The confined Jupyter kernels that run one submission's notebooks, and their end.

:class:`KernelBox` stages the submission once and gives each notebook a kernel of its own
(no state crosses notebooks): :meth:`KernelBox.launch` starts the kernel of a notebook
ahead of time, so that it is ready when the notebooks before it are done. Kernels are
forked from a template process (:class:`Zygote`: ``nb_kernel.py --zygote``, which imported
ipykernel, numpy, matplotlib and the provided utilities before any student code existed)
by :class:`ForkProvisioner`; where the template cannot serve, a kernel is started from
scratch (``nb_kernel.py`` under Jupyter's own launcher). Either way it confines itself in
:mod:`grader.sandbox.nb_kernel` before ipykernel starts. :meth:`KernelBox.stop` kills a
kernel with everything it might have started (:func:`kill_process_tree`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from grader.sandbox.users import secret_paths

from .staging import read_paths, stage
from .template import Zygote, _alive, fork_provisioner_class, kill_process_tree

NB_KERNEL = Path(__file__).resolve().parents[1] / "sandbox" / "nb_kernel.py"
CONFINE_PY = Path(__file__).resolve().parents[1] / "sandbox" / "confine.py"
_ENV_KEEP = ("PATH", "LANG", "LC_ALL", "TZ", "CIFAR10_DIR", "FASHION_MNIST_DIR")


class KernelBox:
    """The staged submission and one fresh confined kernel per notebook.

    The submission is staged once; :meth:`launch` starts notebook ``i``'s kernel (early:
    while the ``.py`` checks or other notebooks run), :meth:`manager` hands its manager to
    nbclient,
    :meth:`stop` kills it with everything it might have started, :meth:`close` the rest.
    """

    def __init__(self, tmp: Path | None, submission_dir: Path, memory_mb: int = 3072,
                 landlock: bool = True, template: bool = True):
        import tempfile

        from jupyter_client.kernelspec import KernelSpecManager

        self.own_tmp = tmp is None
        tmp = Path(tempfile.mkdtemp(prefix="grader-nb-")) if tmp is None else Path(tmp)
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
        (spec_dir / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-I", str(NB_KERNEL), "-f", "{connection_file}",
                     "--HistoryManager.enabled=False"],
            "display_name": "graded notebook", "language": "python"}))
        self.ksm = KernelSpecManager(kernel_dirs=[str(tmp / "kernels")],
                                     ensure_native_kernel=False)
        self.read_paths = read_paths(self.stage_dir)
        warm_matplotlib_cache(self.home)
        self.env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
        self.env.update(HOME=str(self.home), MPLCONFIGDIR=str(self.home),
                        IPYTHONDIR=str(self.home / ".ipython"),
                        JUPYTER_RUNTIME_DIR=str(self.home), ASSIGNMENT_IMPL="student",
                        ASSIGNMENT_SMALL_DATA="1", OMP_NUM_THREADS="1",
                        OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0",
                        MPLBACKEND="module://matplotlib_inline.backend_inline")
        self.zygote = Zygote(self.env, self.work, [str(self.stage_dir)]) if template else None
        self.kernels: dict[int, tuple] = {}  # notebook -> (manager, socket folder)

    def _manager(self, index: int, cpu_seconds: float):
        from jupyter_client.manager import AsyncKernelManager

        sock = self.tmp / f"k{index}"
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
        env = dict(self.env, GRADER_NB_CONFINE=json.dumps(cfg))
        km = AsyncKernelManager(kernel_name="grader-sandbox", transport="ipc",
                                ip=str(sock / "s"), connection_file=str(sock / "connection.json"),
                                kernel_spec_manager=self.ksm)
        km.kernel_id = f"notebook-{index}"
        provisioner = fork_provisioner_class()(kernel_id=km.kernel_id,
                                                kernel_spec=km.kernel_spec, parent=km)
        provisioner.zygote = self.zygote
        km.provisioner = provisioner
        self.kernels[index] = (km, sock)
        return km, env

    def _start_args(self, env):
        return dict(env=env, cwd=str(self.work), stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL)

    def launch(self, index: int, cpu_seconds: float) -> None:
        """Start notebook ``index``'s kernel now (it starts once only)."""
        from jupyter_core.utils import run_sync

        if index in self.kernels:
            return
        km, env = self._manager(index, cpu_seconds)
        try:
            run_sync(km.start_kernel)(**self._start_args(env))
        except Exception:  # noqa: BLE001 -- nbclient meets the unstarted kernel and says why
            pass

    def launched(self, index: int) -> bool:
        return index in self.kernels

    def manager(self, index: int):
        """The (started) manager of notebook ``index``'s kernel."""
        km, _ = self.kernels[index]
        if not km.has_kernel:
            raise RuntimeError("the notebook kernel did not start")
        return km

    def confinement(self, index: int) -> dict:
        """What notebook ``index``'s kernel reported about its confinement (empty if
        nothing)."""
        if index not in self.kernels:
            return {}
        try:
            return json.loads((self.kernels[index][1] / "confined.json").read_text())
        except (OSError, ValueError, TypeError):
            return {}

    def stop(self, index: int) -> None:
        """Kill notebook ``index``'s kernel with its descendants, process group and
        session."""
        from jupyter_core.utils import run_sync

        if index not in self.kernels:
            return
        km, _ = self.kernels[index]
        kernel_pid = None
        try:
            if km.has_kernel:
                if km.provisioner is not None and km.provisioner.pid:
                    kernel_pid = km.provisioner.pid
                    # the kernel may not fork (seccomp), but whatever it might have
                    # started dies with it: descendants, process group and session
                    kill_process_tree(kernel_pid)
                    for _ in range(200):  # dead in a few ms; the manager polls every 0.1 s
                        if not _alive(kernel_pid):
                            break
                        time.sleep(0.005)
                run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001,S110 -- already dead is fine
            pass
        kernel_pid = kernel_pid or int(self.confinement(index).get("pid") or 0) or None
        if kernel_pid:  # group and session members left (the kernel led a new session)
            kill_process_tree(kernel_pid, leader=False)

    def close(self) -> None:
        """Stop every kernel still running, then the template; remove the box's folder
        when it made it."""
        for index in list(self.kernels):
            self.stop(index)
        if self.zygote is not None:
            self.zygote.close()
        if self.own_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


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
