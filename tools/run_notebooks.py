"""Execute notebooks headless with nbclient against one implementation.

Used by our tests (solution notebooks against the reference, student notebooks against
the skeleton) and shipped in the handout for ``make check``, so students run their
notebooks exactly the way we do::

    python -m tools.run_notebooks --impl reference --small notebooks/solutions/*.ipynb

Each notebook runs from its own folder (as Jupyter would), with ``ASSIGNMENT_IMPL`` and,
with ``--small``, ``ASSIGNMENT_SMALL_DATA=1`` set in the kernel's environment.
"""

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError

KERNEL = "python3"
# Per cell. The slowest cell in small-data mode (one training epoch) takes ~20 s on two
# busy cores; the bound is there to stop a hang, not to time anyone.
CELL_TIMEOUT = 240
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class Executed:
    """A notebook after a run.

    Attributes
    ----------
    nb : nbformat.NotebookNode
        The notebook with its outputs.
    error : CellExecutionError, DeadKernelError or None
        What stopped the run, if anything (a cell's ``ename``, ``evalue`` name its exception).
    seconds : float
        Wall-clock time, kernel start included.
    last_words : str
        When the kernel died: the last line it wrote to its own stderr (e.g. "Fatal Python
        error: Segmentation fault"), else "".
    """

    def __init__(self, nb, error, seconds, last_words=""):
        self.nb, self.error, self.seconds = nb, error, seconds
        self.last_words = last_words

    def outputs_text(self):
        """All stream and error text, in cell order."""
        parts = []
        for cell in self.nb.cells:
            for out in cell.get("outputs", []):
                if out.output_type == "stream":
                    parts.append(out.text)
                elif out.output_type == "error":
                    parts.append(f"{out.ename}: {out.evalue}\n")
        return "".join(parts)

    def error_cell(self):
        """Index of the first cell holding an error output, or None."""
        for index, cell in enumerate(self.nb.cells):
            if any(o.output_type == "error" for o in cell.get("outputs", [])):
                return index
        return None


class KernelMissing(RuntimeError):
    """No Jupyter kernel named ``python3`` is installed where this Python looks."""


def check_kernel():
    """Raise :class:`KernelMissing`, saying how to install it, when the kernel is absent."""
    try:
        KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel as exc:
        raise KernelMissing(
            f"no Jupyter kernel named {KERNEL!r}: run "
            f"`{sys.executable} -m ipykernel install --sys-prefix --name {KERNEL}`"
        ) from exc


def execute(path, impl="student", small=True, timeout=CELL_TIMEOUT):
    """Execute one notebook top to bottom, stopping at the first error.

    Parameters
    ----------
    path : str or Path
    impl : str
        ``'student'`` or ``'reference'``, passed as ``ASSIGNMENT_IMPL``.
    small : bool
        Set ``ASSIGNMENT_SMALL_DATA=1`` (small data, few iterations).
    timeout : float
        Seconds allowed per cell.

    Returns
    -------
    Executed
    """
    check_kernel()
    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ, ASSIGNMENT_IMPL=impl)
    if small:
        env["ASSIGNMENT_SMALL_DATA"] = "1"
        # Small batches gain nothing from threaded BLAS, and on a shared two-core runner
        # its threads fight each other (measured: the CNN notebook 39 s vs 80-125 s).
        for var in THREAD_VARS:
            env.setdefault(var, "1")
    start = time.perf_counter()
    error = None
    last_words = ""
    with tempfile.TemporaryDirectory(prefix="nbrun-") as sockets:
        client = NotebookClient(nb, km=_kernel_manager(sockets), timeout=timeout,
                                resources={"metadata": {"path": str(path.parent)}})
        # The kernel process's own stderr (not a cell's, which reaches the notebook) goes
        # to a file: pyzmq's teardown tracebacks and C libraries' chatter stay out of the
        # console, and a crash's last line is kept for the notebook's line.
        with open(os.path.join(sockets, "kernel-stderr.txt"), "w+") as kernel_stderr:
            try:
                # cleanup_kc: shut the kernel down here (a client given a manager leaves it
                # running, and the orphan later warns that its parent has exited)
                client.execute(env=env, cleanup_kc=True, stderr=kernel_stderr)
            except (CellExecutionError, DeadKernelError) as exc:
                error = exc
            if isinstance(error, DeadKernelError):
                kernel_stderr.seek(0)
                lines = [line.strip() for line in kernel_stderr.read().splitlines()]
                last_words = next((line for line in reversed(lines) if line), "")[:200]
    return Executed(nb, error, time.perf_counter() - start, last_words)


def _kernel_manager(sockets):
    """A manager for a local kernel talking over Unix sockets in ``sockets``.

    Over TCP (Jupyter's default) the kernel warns on every start that its traffic is not
    encrypted, three times per ``make check`` between the lines that matter. A local kernel
    needs no network: IPC sockets, in a folder only their owner can enter, say nothing and
    leave no port open. Windows has no IPC transport and keeps TCP.
    """
    if os.name == "nt":
        return AsyncKernelManager(kernel_name=KERNEL)
    return AsyncKernelManager(kernel_name=KERNEL, transport="ipc",
                              ip=os.path.join(sockets, "kernel"))


class _ChannelTeardown(logging.Filter):
    """Drops the records of pyzmq's streams closing under a finished or dead kernel: the
    ones that name ``ZMQStream`` or carry a traceback through ``zmqstream.py``."""

    def filter(self, record):
        if "zmqstream" in record.getMessage().lower():
            return False
        tb = record.exc_info[2] if record.exc_info else None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename.endswith("zmqstream.py"):
                return False
            tb = tb.tb_next
        return True


def _quiet_channel_teardown():
    """Keep pyzmq's event-loop log out of the student's console: tornado's "Uncaught
    exception in ZMQStream callback", and asyncio's "Exception in callback ZMQStream..." when
    a stream's pending callback is cancelled (both print a traceback now and then while a
    kernel's channels close). Nothing is hidden by it: a cell's error is read from the
    notebook's outputs and a dead kernel surfaces as DeadKernelError, both reported on the
    notebook's line."""
    log = logging.getLogger("tornado.general")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    logging.getLogger("asyncio").addFilter(_ChannelTeardown())


def main(argv=None):
    """Command-line entry point: run each notebook, print a line per notebook; exit 1 on error."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.run_notebooks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--impl", default=os.environ.get("ASSIGNMENT_IMPL", "student"))
    parser.add_argument("--small", action="store_true", help="small-data mode")
    parser.add_argument("--timeout", type=float, default=CELL_TIMEOUT, help="seconds per cell")
    args = parser.parse_args(argv)
    _quiet_channel_teardown()
    try:
        check_kernel()
    except KernelMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for path in args.notebooks:
        run = execute(path, args.impl, args.small, args.timeout)
        if run.error is None:
            print(f"ok      {path}  ({run.seconds:.1f} s)")
        else:
            failed += 1
            where = run.error_cell()
            why = (f"{run.error.ename}: {run.error.evalue}" if hasattr(run.error, "ename")
                   else "the Python kernel died (a crash, or out of memory)"
                   + (f"; its last words: {run.last_words}" if run.last_words else ""))
            print(f"STOPPED {path}{'' if where is None else f' at cell {where}'}: {why}"
                  f"  ({run.seconds:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
