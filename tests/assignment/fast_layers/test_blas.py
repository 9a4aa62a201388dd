"""Worker threads of the fast layers (assignment/fast_layers/_blas.py)."""

import os
import threading

import pytest

from assignment.fast_layers import _blas

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="thread affinity needs Linux and at least two CPUs")


def _started_pool_tids():
    """The pool's thread ids, after making sure its thread has started."""
    pool = _blas._pool(1)
    pool.submit(lambda: None).result()
    return list(_blas._worker_tids)


def test_workers_are_steered_off_the_callers_cpu(monkeypatch):
    allowed = os.sched_getaffinity(0)
    tids = _started_pool_tids()
    assert tids and threading.get_native_id() not in tids
    for cpu in sorted(allowed)[:2]:
        monkeypatch.setattr(_blas, "_current_cpu", lambda cpu=cpu: cpu)
        _blas._steer()
        for tid in tids:
            assert os.sched_getaffinity(tid) == allowed - {cpu}
    # The caller's own affinity is never touched.
    assert os.sched_getaffinity(0) == allowed


def test_steering_leaves_workers_alone_when_the_cpu_is_unknown(monkeypatch):
    tids = _started_pool_tids()
    monkeypatch.setattr(_blas, "_current_cpu", lambda: sorted(os.sched_getaffinity(0))[0])
    _blas._steer()
    before = {tid: os.sched_getaffinity(tid) for tid in tids}
    monkeypatch.setattr(_blas, "_current_cpu", lambda: -1)
    _blas._steer()
    assert {tid: os.sched_getaffinity(tid) for tid in tids} == before


def test_current_cpu_is_one_the_process_may_use():
    assert _blas._current_cpu() in os.sched_getaffinity(0)


def test_a_forked_child_gets_its_own_pool():
    """A fork copies only the calling thread: the child must not wait on the parent's pool
    threads, nor pin them (their ids are the parent's)."""
    parent_tids = _started_pool_tids()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running pytest's teardown
        try:
            ok = _blas.run_chunks(lambda i: i * i, 6, 2) == [i * i for i in range(6)]
            _blas._pool(1).submit(lambda: None).result()  # its thread has started by now
            own = {int(t) for t in os.listdir("/proc/self/task")}
            ok = ok and set(_blas._worker_tids) <= own and not set(parent_tids) & own
            os.write(write, b"1" if ok and _blas._worker_tids else b"0")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1" and status == 0
    assert set(parent_tids) <= set(_blas._worker_tids)


def test_a_caller_limited_to_one_cpu_limits_its_workers_to_it(monkeypatch):
    tids = _started_pool_tids()
    cpu = sorted(os.sched_getaffinity(0))[-1]
    real = os.sched_getaffinity
    monkeypatch.setattr(_blas, "_current_cpu", lambda: cpu)
    monkeypatch.setattr(os, "sched_getaffinity",
                        lambda pid: {cpu} if pid == 0 else real(pid))
    _blas._steer()
    assert all(real(tid) == {cpu} for tid in tids)
