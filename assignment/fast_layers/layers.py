"""The fast conv and pool layers, written once over a kernel backend.

``kernels`` is a module with ``im2col``, ``col2im``, ``max_pool_forward`` and
``max_pool_backward`` (the compiled ``im2col_cython`` or the pure-numpy
``_numpy_backend``). The public, backend-bound functions live in ``__init__``.

Convolution is im2col + GEMM, one chunk of samples at a time: the column buffer of a
chunk stays in cache and is reused for every chunk, across calls (see ``_workspace``) and,
in the backward pass, for the column gradient too. The samples are split over worker
threads with single-threaded BLAS each (see ``_blas`` for why); workers write disjoint
samples of ``out``/``dx`` and return their own part of ``dw``.
"""

import numpy as np

from ._blas import run_split, single_threaded_blas
from ._geometry import conv_output_shape
from ._workspace import scratch

# Bytes of column buffer per chunk of samples. Small layers batch several samples into one
# GEMM (fewer, larger BLAS calls) while the chunk stays in L2 (1 MiB per core here): on the
# seeds' conv (CPU time, one thread) 256 KiB chunks beat 64 KiB by 10-35% and 8 MiB by
# 15-50%. One realistic sample (64 channels, 3x3, 32x32: 4.7 MB in float64) is past it,
# so big layers do one GEMM per sample, which measured fastest for them too.
COLS_BUDGET_BYTES = 256 << 10


def _float_dtype(*arrays):
    """The common dtype when it is float32/float64; anything else computes in float64."""
    dt = np.result_type(*arrays)
    return dt if dt in (np.float32, np.float64) else np.dtype(np.float64)


def _check_4d(name, a):
    if np.ndim(a) != 4:
        raise ValueError(f"{name} must have 4 dimensions (N, C, H, W), got shape {np.shape(a)}")


def _conv_setup(x, w, b, conv_param):
    """Validate shapes and geometry; return the numbers both conv passes need."""
    _check_4d("x", x)
    _check_4d("w", w)
    N, C, H, W = x.shape
    F, Cw, HH, WW = w.shape
    if Cw != C:
        raise ValueError(f"w has {Cw} input channels but x has {C}")
    if np.shape(b) != (F,):
        raise ValueError(f"b must have shape ({F},), got {np.shape(b)}")
    stride, pad = int(conv_param["stride"]), int(conv_param["pad"])
    H_out, W_out = conv_output_shape(H, W, HH, WW, stride, pad)
    return N, C, H, W, F, HH, WW, stride, pad, H_out, W_out


def _chunk_size(N, per_sample_bytes):
    return int(max(1, min(N, COLS_BUDGET_BYTES // max(1, per_sample_bytes))))


def conv_forward(kernels, x, w, b, conv_param):
    """Convolution forward pass; see :func:`assignment.fast_layers.conv_forward_fast`."""
    N, C, H, W, F, HH, WW, stride, pad, H_out, W_out = _conv_setup(x, w, b, conv_param)
    dtype = _float_dtype(x, w, b)
    xc = np.ascontiguousarray(x, dtype=dtype)
    w2d = np.ascontiguousarray(w, dtype=dtype).reshape(F, -1)
    bias = np.asarray(b, dtype=dtype)[:, None]
    K, HWo = C * HH * WW, H_out * W_out
    B = _chunk_size(N, K * HWo * dtype.itemsize)
    out = np.empty((N, F, HWo), dtype=dtype)

    def forward_samples(lo, hi):
        # Scratch is per thread, so each worker has its own column buffer.
        cols_buf = scratch("cols", K * B * HWo, dtype)
        gemm_buf = scratch("gemm", F * B * HWo, dtype) if B > 1 else None
        for n0 in range(lo, hi, B):
            nb = min(B, hi - n0)
            cols = cols_buf[: K * nb * HWo].reshape(K, nb, HWo)
            kernels.im2col(xc, n0, HH, WW, stride, pad, cols)
            if nb == 1:
                # One sample: the GEMM writes straight into out[n0], already (F, HWo).
                np.matmul(w2d, cols.reshape(K, HWo), out=out[n0])
                out[n0] += bias
            else:
                res = gemm_buf[: F * nb * HWo].reshape(F, nb * HWo)
                np.matmul(w2d, cols.reshape(K, nb * HWo), out=res)
                # (F, nb, HWo) -> (nb, F, HWo), adding the bias in the same pass.
                np.add(res.reshape(F, nb, HWo).transpose(1, 0, 2), bias, out=out[n0 : n0 + nb])

    with single_threaded_blas() as threads:
        run_split(forward_samples, N, _workers(threads, N, B, 2.0 * N * F * K * HWo))
    return out.reshape(N, F, H_out, W_out), (x, w, b, conv_param)


def conv_backward(kernels, dout, cache):
    """Convolution backward pass; see :func:`assignment.fast_layers.conv_backward_fast`."""
    x, w, b, conv_param = cache
    N, C, H, W, F, HH, WW, stride, pad, H_out, W_out = _conv_setup(x, w, b, conv_param)
    if np.shape(dout) != (N, F, H_out, W_out):
        raise ValueError(f"dout must have shape {(N, F, H_out, W_out)}, got {np.shape(dout)}")
    dtype = _float_dtype(x, w, b, dout)
    xc = np.ascontiguousarray(x, dtype=dtype)
    w2d = np.ascontiguousarray(w, dtype=dtype).reshape(F, -1)
    K, HWo = C * HH * WW, H_out * W_out
    d3 = np.ascontiguousarray(dout, dtype=dtype).reshape(N, F, HWo)
    db = d3.sum(axis=(0, 2))
    dx = np.zeros((N, C, H, W), dtype=dtype)
    B = _chunk_size(N, K * HWo * dtype.itemsize)

    def backward_samples(lo, hi):
        """dx of samples lo..hi (disjoint between workers); returns their part of dw.T."""
        cols_buf = scratch("cols", K * B * HWo, dtype)
        dout_buf = scratch("gemm", F * B * HWo, dtype) if B > 1 else None
        # dw is accumulated transposed, (K, F): ``cols @ d.T`` ran 15% faster than
        # ``d @ cols.T`` in float32 (OpenBLAS packs the long (K, HWo) operand better).
        dw_t, dw_part = np.zeros((K, F), dtype=dtype), np.empty((K, F), dtype=dtype)
        for n0 in range(lo, hi, B):
            nb = min(B, hi - n0)
            cols = cols_buf[: K * nb * HWo].reshape(K, nb, HWo)
            cols2d = cols.reshape(K, nb * HWo)
            # The forward columns are recomputed, not cached: caching them for a batch
            # would take C*HH*WW times the input's memory, and filling fresh memory that
            # size costs more than redoing the unfold chunk by chunk.
            kernels.im2col(xc, n0, HH, WW, stride, pad, cols)
            if nb == 1:
                d2 = d3[n0]
            else:
                d2 = dout_buf[: F * nb * HWo].reshape(F, nb, HWo)
                d2[...] = d3[n0 : n0 + nb].transpose(1, 0, 2)
                d2 = d2.reshape(F, nb * HWo)
            np.matmul(cols2d, d2.T, out=dw_part)
            dw_t += dw_part
            # The columns are spent: their buffer now receives the column gradient.
            np.matmul(w2d.T, d2, out=cols2d)
            kernels.col2im(cols, n0, HH, WW, stride, pad, dx)
        return dw_t

    with single_threaded_blas() as threads:
        parts = run_split(backward_samples, N, _workers(threads, N, B, 4.0 * N * F * K * HWo))
    # Summed in slice order, so the result does not depend on which thread finished first.
    dw_t = parts[0]
    for part in parts[1:]:
        dw_t += part
    return dx, np.ascontiguousarray(dw_t.T).reshape(w.shape), db


# GEMM FLOPs of a whole pass below which it runs on the calling thread alone. Handing the
# GIL back and forth between workers costs little next to a realistic layer (3.8 GFLOP),
# but on a loaded machine it made the seeds' conv (35 MFLOP) 2-5x slower than one thread.
SPLIT_MIN_FLOPS = 200e6


def _workers(blas_threads, N, B, flops):
    """One worker per BLAS thread, but not more than there are chunks of samples, and
    only one for small layers."""
    if not blas_threads or flops < SPLIT_MIN_FLOPS:
        return 1
    return max(1, min(blas_threads, -(-N // B)))


def _pool_setup(x, pool_param):
    _check_4d("x", x)
    N, C, H, W = x.shape
    ph, pw = int(pool_param["pool_height"]), int(pool_param["pool_width"])
    stride = int(pool_param["stride"])
    H_out, W_out = conv_output_shape(H, W, ph, pw, stride, 0)
    if H * W >= 2**31:
        raise ValueError(f"a {H}x{W} plane is too large for int32 pooling indices")
    return N, C, H, W, ph, pw, stride, H_out, W_out


def max_pool_forward(kernels, x, pool_param):
    """Max pooling forward pass; see :func:`assignment.fast_layers.max_pool_forward_fast`."""
    N, C, H, W, ph, pw, stride, H_out, W_out = _pool_setup(x, pool_param)
    dtype = _float_dtype(x)
    xc = np.ascontiguousarray(x, dtype=dtype)
    out = np.empty((N, C, H_out, W_out), dtype=dtype)
    # Where each maximum was, so the backward pass is one scatter instead of a re-scan.
    argmax = np.empty((N, C, H_out, W_out), dtype=np.int32)
    kernels.max_pool_forward(xc, ph, pw, stride, out, argmax)
    return out, (x, pool_param, argmax)


def max_pool_backward(kernels, dout, cache):
    """Max pooling backward pass; see :func:`assignment.fast_layers.max_pool_backward_fast`."""
    x, pool_param, argmax = cache
    N, C, H, W, ph, pw, stride, H_out, W_out = _pool_setup(x, pool_param)
    if np.shape(dout) != (N, C, H_out, W_out):
        raise ValueError(f"dout must have shape {(N, C, H_out, W_out)}, got {np.shape(dout)}")
    dtype = _float_dtype(x, dout)
    dx = np.zeros((N, C, H, W), dtype=dtype)
    kernels.max_pool_backward(np.ascontiguousarray(dout, dtype=dtype), argmax, dx)
    return dx
