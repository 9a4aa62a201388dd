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
