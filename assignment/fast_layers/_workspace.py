"""Scratch buffers reused across calls (the column buffer and GEMM staging).

Why: on these VMs a first touch of fresh memory costs a page fault of a few microseconds
per 4 KiB page; a 5 MB column buffer allocated per call cost ~10 ms on the seeds' conv,
several times the arithmetic. Scratch buffers never leave the layers (outputs are always
fresh arrays), so keeping them is safe; they are per thread, so two threads never share
one. Buffers above ``MAX_KEPT_BYTES`` are not kept, to bound the memory held.
"""

import threading

import numpy as np

MAX_KEPT_BYTES = 64 << 20

_local = threading.local()


def scratch(name, size, dtype):
    """A 1-D ``dtype`` array of ``size`` elements whose contents are undefined.

    The same ``name`` in the same thread returns (a view of) the same memory until a larger
    size is asked for, so a caller must be done with the previous one first.
    """
    dtype = np.dtype(dtype)
    nbytes = size * dtype.itemsize
    if nbytes > MAX_KEPT_BYTES:
        return np.empty(size, dtype=dtype)
    pool = _local.__dict__.setdefault("buffers", {})
    buf = pool.get(name)
    if buf is None or buf.nbytes < nbytes:
        buf = pool[name] = np.empty(max(nbytes, 1), dtype=np.uint8)
    return buf[:nbytes].view(dtype)
