"""The fast conv and pool layers, written once over a kernel backend.

``kernels`` is a module with ``im2col``, ``col2im``, ``max_pool_forward`` and
``max_pool_backward`` (the compiled ``im2col_cython`` or the pure-numpy
``_numpy_backend``). The public, backend-bound functions live in ``__init__``.

Stride-1 convolutions whose pad is smaller than the filter (the ConvNet's layers) run on
the compiled direct kernels when the backend has them and the CPU has AVX-512
(``_use_direct``; see the section "Direct stride-1 convolution" below): no column buffer,
no GEMM, and faster than im2col + GEMM on every layer measured (the ConvNet's 3-channel
7x7 layer, the 64-channel 3x3 layer, float32 and float64). Strides above 1 stay on im2col
+ GEMM: direct kernels for them (column phases staged apart, dx on the spread-out dout)
were 1.5-2x slower on the seeds' stride-2 layer forward and 3-8x backward.

Every other convolution is im2col + GEMM, one chunk of samples at a time: the column
buffer of a chunk stays in cache and is reused for every chunk, across calls (see
``_workspace``) and, in the backward pass, for the column gradient too. Two paths, chosen
by the size of one sample's columns (``_chunk_size``):

- big layers (one sample's columns fill the cache budget, e.g. the realistic 64-channel
  layer): one GEMM per sample, written straight into ``out[n]``; the samples are split over
  worker threads with single-threaded BLAS each (see ``_blas`` for why), which write
  disjoint samples of ``out``/``dx`` and return their own part of ``dw``;
- small layers (several samples per chunk, e.g. the seeds' conv): the columns are
  sample-major, ``(nb, K + 1, HWo)``, with a last row of ones, and each chunk is one batched
  ``np.matmul`` (numpy loops over the samples' GEMMs in C). The forward GEMM writes ``out``
  in its final ``(N, F, HWo)`` layout with the bias folded in as an extra filter column, so
  no transpose or bias pass over the output; the backward GEMMs read ``dout`` in place and
  give ``db`` as the last column of ``[dw | db]``. Large enough ones share their chunks
  out over threads on the fly (``run_chunks``).
"""

import numpy as np

from ._blas import blas_threads, run_chunks, run_split, single_threaded_blas
from ._geometry import conv_output_shape
from ._workspace import scratch

# Bytes of column buffer per chunk of samples. Small layers batch several samples into one
# GEMM (fewer, larger BLAS calls) while the chunk stays in L2 (1 MiB per core here): on the
# seeds' conv (CPU time, one thread) 256 KiB chunks beat 64 KiB by 10-35% and 8 MiB by
# 15-50%. One realistic sample (64 channels, 3x3, 32x32: 4.7 MB in float64) is past it,
# so big layers do one GEMM per sample, which measured fastest for them too.
COLS_BUDGET_BYTES = 256 << 10
# The small-layer backward pass (see conv_backward) does less per chunk and measured best
# with larger chunks.
BACKWARD_COLS_BUDGET_BYTES = 1 << 20


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


def _chunk_size(N, per_sample_bytes, budget=None):
    budget = COLS_BUDGET_BYTES if budget is None else budget
    return int(max(1, min(N, budget // max(1, per_sample_bytes))))


def conv_forward(kernels, x, w, b, conv_param):
    """Convolution forward pass; see :func:`assignment.fast_layers.conv_forward_fast`."""
    N, C, H, W, F, HH, WW, stride, pad, H_out, W_out = _conv_setup(x, w, b, conv_param)
    dtype = _float_dtype(x, w, b)
    xc = np.ascontiguousarray(x, dtype=dtype)
    if _use_direct(kernels, stride, pad, HH, WW) and x.size and w.size:
        out = _direct_forward(kernels, xc, np.asarray(w, dtype=dtype),
                              np.asarray(b, dtype=dtype), pad, dtype)
        return out, (x, w, b, conv_param)
    w2d = np.ascontiguousarray(w, dtype=dtype).reshape(F, -1)
    bias = np.asarray(b, dtype=dtype)[:, None]
    K, HWo = C * HH * WW, H_out * W_out
    B = _chunk_size(N, K * HWo * dtype.itemsize)
    out = np.empty((N, F, HWo), dtype=dtype)

    if B == 1:
        # Big layers: one sample per GEMM, written straight into out[n] (already (F, HWo)).
        def forward_samples(lo, hi):
            # Scratch is per thread, so each worker has its own column buffer.
            cols_buf = scratch("cols", K * HWo, dtype)
            cols = cols_buf.reshape(K, 1, HWo)
            for n0 in range(lo, hi):
                kernels.im2col(xc, n0, HH, WW, stride, pad, cols)
                np.matmul(w2d, cols.reshape(K, HWo), out=out[n0])
                out[n0] += bias

    else:
        # Small layers: the columns of a chunk are sample-major, (nb, K + 1, HWo), with a
        # last row of ones, and the filters get the bias as an extra column, so one batched
        # matmul (a GEMM per sample inside numpy, no Python loop) writes out[n0:n0+nb] in
        # its final layout, bias included: no transpose and no bias pass over the output.
        # Seeds' conv against one GEMM per chunk + transpose (interleaved runs, CPU time):
        # 1.2-1.7x less in float64, 1.3-1.6x in float32.
        Kp = K + 1
        wb = np.empty((F, Kp), dtype=dtype)
        wb[:, :K] = w2d
        wb[:, K] = bias[:, 0]
        B = _chunk_size(N, Kp * HWo * dtype.itemsize)

        def forward_chunk(i):
            n0 = i * B
            nb = min(B, N - n0)
            # Scratch is per thread, so each worker has its own column buffer.
            cols = scratch("cols", nb * Kp * HWo, dtype).reshape(nb, Kp, HWo)
            cols[:, K] = 1
            kernels.im2col(xc, n0, HH, WW, stride, pad, cols[:, :K].transpose(1, 0, 2))
            np.matmul(wb, cols, out=out[n0 : n0 + nb])

    with single_threaded_blas() as threads:
        if B == 1:
            run_split(forward_samples, N, _workers(threads, N, B, 2.0 * N * F * K * HWo))
        else:
            n_chunks = -(-N // B)
            run_chunks(forward_chunk, n_chunks,
                       _small_workers(threads, n_chunks, 2.0 * N * F * K * HWo))
    return out.reshape(N, F, H_out, W_out), (x, w, b, conv_param)


def conv_backward(kernels, dout, cache):
    """Convolution backward pass; see :func:`assignment.fast_layers.conv_backward_fast`."""
    x, w, b, conv_param = cache
    N, C, H, W, F, HH, WW, stride, pad, H_out, W_out = _conv_setup(x, w, b, conv_param)
    if np.shape(dout) != (N, F, H_out, W_out):
        raise ValueError(f"dout must have shape {(N, F, H_out, W_out)}, got {np.shape(dout)}")
    dtype = _float_dtype(x, w, b, dout)
    xc = np.ascontiguousarray(x, dtype=dtype)
    if _use_direct(kernels, stride, pad, HH, WW) and x.size and w.size:
        return _direct_backward(kernels, xc, np.asarray(w, dtype=dtype),
                                np.ascontiguousarray(dout, dtype=dtype), pad, dtype)
    w2d = np.ascontiguousarray(w, dtype=dtype).reshape(F, -1)
    K, HWo = C * HH * WW, H_out * W_out
    d3 = np.ascontiguousarray(dout, dtype=dtype).reshape(N, F, HWo)
    dx = np.zeros((N, C, H, W), dtype=dtype)
    B = _chunk_size(N, K * HWo * dtype.itemsize)

    if B == 1:
        # Big layers: one sample per GEMM.
        def backward_samples(lo, hi):
            """dx of samples lo..hi (disjoint between workers); returns their part of dw.T."""
            cols_buf = scratch("cols", K * HWo, dtype)
            cols = cols_buf.reshape(K, 1, HWo)
            cols2d = cols.reshape(K, HWo)
            # dw is accumulated transposed, (K, F): ``cols @ d.T`` ran 15% faster than
            # ``d @ cols.T`` in float32 (OpenBLAS packs the long (K, HWo) operand better).
            dw_t, dw_part = np.zeros((K, F), dtype=dtype), np.empty((K, F), dtype=dtype)
            for n0 in range(lo, hi):
                # The forward columns are recomputed, not cached: caching them for a batch
                # would take C*HH*WW times the input's memory, and filling fresh memory that
                # size costs more than redoing the unfold sample by sample.
                kernels.im2col(xc, n0, HH, WW, stride, pad, cols)
                d2 = d3[n0]
                np.matmul(cols2d, d2.T, out=dw_part)
                dw_t += dw_part
                # The columns are spent: their buffer now receives the column gradient.
                np.matmul(w2d.T, d2, out=cols2d)
                kernels.col2im(cols, n0, HH, WW, stride, pad, dx)
            return dw_t

    else:
        # Small layers: sample-major columns (nb, K + 1, HWo) with a last row of ones, and
        # batched matmuls (a GEMM per sample inside numpy), so dout is used in place, never
        # transposed, and db comes out of the dw GEMM as its last column (seeds' conv:
        # 1.1-1.4x less CPU time than chunk GEMMs over a transposed copy of dout, and
        # about 2x less wall time on a loaded machine). Chunks are larger than the
        # forward's: 0.5-1 MiB of columns measured best (0.25 and 2-4 MiB were slower).
        Kp = K + 1
        B = _chunk_size(N, Kp * HWo * dtype.itemsize, BACKWARD_COLS_BUDGET_BYTES)

        def backward_chunk(i):
            """dx of chunk i's samples (disjoint between chunks); returns its [dw | db]."""
            n0 = i * B
            nb = min(B, N - n0)
            cols = scratch("cols", nb * Kp * HWo, dtype).reshape(nb, Kp, HWo)
            cols[:, K] = 1
            cols_view = cols[:, :K].transpose(1, 0, 2)  # the (K, nb, HWo) the kernels take
            kernels.im2col(xc, n0, HH, WW, stride, pad, cols_view)
            d = d3[n0 : n0 + nb]
            part = scratch("gemm", nb * F * Kp, dtype).reshape(nb, F, Kp)
            np.matmul(d, cols.transpose(0, 2, 1), out=part)
            # The columns are spent: their buffer now receives the column gradient.
            np.matmul(w2d.T, d, out=cols[:, :K])
            kernels.col2im(cols_view, n0, HH, WW, stride, pad, dx)
            return part.sum(axis=0)

    with single_threaded_blas() as threads:
        if B == 1:
            parts = run_split(backward_samples, N,
                              _workers(threads, N, B, 4.0 * N * F * K * HWo))
        else:
            n_chunks = -(-N // B)
            parts = run_chunks(backward_chunk, n_chunks,
                               _small_workers(threads, n_chunks, 4.0 * N * F * K * HWo))
    # Summed in slice (chunk) order, so the result does not depend on which thread
    # finished first.
    total = parts[0]
    for part in parts[1:]:
        total += part
    if B == 1:
        db = d3.sum(axis=(0, 2))
        return dx, np.ascontiguousarray(total.T).reshape(w.shape), db
    return dx, np.ascontiguousarray(total[:, :K]).reshape(w.shape), total[:, K].copy()


# ---------------------------------------------------------------------------------------
# Direct stride-1 convolution (the compiled kernels' ``direct_conv`` and ``direct_conv_dw``):
# no column buffer and no GEMM. Each chunk of samples is one kernel call without the GIL;
# the chunks are shared out over worker threads on the fly (``run_chunks``).
#
# Why not OpenMP threads inside the kernels: measured in a training step on these 2-core
# machines, libgomp's idle thread spins after each parallel region, and the OpenBLAS
# matmul of the affine layer that follows (two threads) took 150 ms instead of 3-6 ms, the
# conv backward 42 ms instead of 10. OMP_WAIT_POLICY=PASSIVE cured it, but only as an
# environment variable read when libgomp loads, and PyTorch brings its own OpenMP runtime
# into the same process. The worker threads block when idle, and a sandbox that cannot
# start threads costs only speed (libgomp aborts the process instead).

# The batch is cut into this many chunks (fewer for small batches). dw is summed chunk by
# chunk in order, so it does not depend on the number of threads.
DIRECT_CHUNKS = 8
# FLOPs of a pass below which the direct kernels run on the calling thread alone.
DIRECT_SPLIT_MIN_FLOPS = 20e6


def _use_direct(kernels, stride, pad, HH, WW):
    """Stride-1 layers whose input gradient is a plain correlation (pad < filter size), when
    the kernels say they can run here (``DIRECT``: built for x86-64, CPU with AVX-512)."""
    return bool(getattr(kernels, "DIRECT", 0)) and stride == 1 and pad < min(HH, WW)


def _direct_workers(flops, n_chunks):
    """One worker per BLAS thread (the grader's pinned count is respected), at most one per
    chunk, and only the calling thread for small passes."""
    threads = blas_threads()
    if not threads or flops < DIRECT_SPLIT_MIN_FLOPS:
        return 1
    return max(1, min(threads, n_chunks))


def _chunk_bounds(N, i, n_chunks):
    return N * i // n_chunks, N * (i + 1) // n_chunks


def _round_up(a, b):
    return -(-a // b) * b


def _filters_by_tap(w, dtype, block):
    """``w`` (F, C, HH, WW) laid out ``(Fp // block, C*HH*WW, block)`` for ``direct_conv``,
    zero filters up to ``Fp``. Each block's taps are contiguous: on the 64-channel layer a
    ``(C*HH*WW, Fp)`` array spread one block over 576 cache lines and ran 1.3x slower."""
    F = w.shape[0]
    wt = np.zeros((w[0].size, _round_up(F, block)), dtype=dtype)
    wt[:, :F] = w.reshape(F, -1).T
    return np.ascontiguousarray(wt.reshape(wt.shape[0], -1, block).transpose(1, 0, 2))


def _direct_forward(kernels, xc, w, b, pad, dtype):
    N, C, H, W = xc.shape
    F, _, HH, WW = w.shape
    wt = _filters_by_tap(w, dtype, kernels.FILTER_BLOCK)
    bias = np.zeros(wt.shape[0] * wt.shape[2], dtype=dtype)
    bias[:F] = b
    rows, row_len, H_out, W_out, _ = kernels.direct_geometry(dtype.itemsize, H, W, HH, WW,
                                                             pad, pad)
    out = np.empty((N, F, H_out, W_out), dtype=dtype)
    n_chunks = min(N, DIRECT_CHUNKS)

    def forward_chunk(i):
        work = scratch("direct", C * rows * row_len, dtype)
        kernels.direct_conv(xc, wt, bias, HH, WW, pad, pad, out, work,
                            *_chunk_bounds(N, i, n_chunks))

    run_chunks(forward_chunk, n_chunks, _direct_workers(2.0 * out.size * C * HH * WW,
                                                        n_chunks))
    return out


def _direct_backward(kernels, xc, w, dout, pad, dtype):
    N, C, H, W = xc.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    Fp = _round_up(F, kernels.dw_filter_block(dtype.itemsize, F))
    KWp = _round_up(WW, kernels.COLUMN_BLOCK)
    rows, row_len, _, _, _ = kernels.direct_geometry(dtype.itemsize, H, W, HH, WW, pad, pad)
    # dx is the correlation of dout, padded by (filter size - 1 - pad), with the filters
    # flipped and their channel axes swapped (input channels become filters).
    w_flip = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    wt_flip = _filters_by_tap(w_flip, dtype, kernels.FILTER_BLOCK)
    zero_bias = np.zeros(wt_flip.shape[0] * wt_flip.shape[2], dtype=dtype)
    ph, pw = HH - 1 - pad, WW - 1 - pad
    rows_dx, row_len_dx, _, _, _ = kernels.direct_geometry(dtype.itemsize, H_out, W_out, HH,
                                                           WW, ph, pw)
    dx = np.empty((N, C, H, W), dtype=dtype)
    n_chunks = min(N, DIRECT_CHUNKS)

    def backward_chunk(i):
        """dx of chunk i's samples (disjoint between chunks); returns their dw, (C*HH*KWp,
        Fp) with padding rows and columns, and their db."""
        lo, hi = _chunk_bounds(N, i, n_chunks)
        part = np.zeros((C * HH * KWp, Fp), dtype=dtype)
        # direct_conv_dw stages x, then dout transposed on a 64-byte boundary.
        work = scratch("direct", max(C * rows * row_len + H_out * W_out * Fp + 64 // dtype.itemsize,
                                     F * rows_dx * row_len_dx), dtype)
        kernels.direct_conv_dw(xc, dout, HH, WW, pad, pad, part, work, lo, hi)
        kernels.direct_conv(dout, wt_flip, zero_bias, HH, WW, ph, pw, dx, work, lo, hi)
        return part, dout[lo:hi].sum(axis=(0, 2, 3))

    parts = run_chunks(backward_chunk, n_chunks,
                       _direct_workers(4.0 * dout.size * C * HH * WW, n_chunks))
    # Summed in chunk order, so dw and db do not depend on which thread finished first.
    total, db = parts[0]
    for part, db_part in parts[1:]:
        total += part
        db += db_part
    dw = total.reshape(C, HH, KWp, Fp)[:, :, :WW, :F].transpose(3, 0, 1, 2)
    return dx, np.ascontiguousarray(dw), db


# GEMM FLOPs of a whole pass below which it runs on the calling thread alone (the grader's
# small test layers). The seeds' conv (35 and 69 MFLOP) is split: once the workers were
# kept off the caller's CPU (``_blas._steer``) two threads took its float64 backward from
# 4.7-5.1 ms to 3.7-3.9 ms here, and no longer lost to one thread on a loaded machine the
# way they did when the woken worker queued behind its caller (2-5x slower then).
SPLIT_MIN_FLOPS = 20e6


def _workers(blas_threads, N, B, flops):
    """One worker per BLAS thread, but not more than there are chunks of samples, and
    only one for small layers."""
    if not blas_threads or flops < SPLIT_MIN_FLOPS:
        return 1
    return max(1, min(blas_threads, -(-N // B)))


def _small_workers(blas_threads, n_chunks, flops):
    """The same for the small-layer path (``run_chunks``, whose workers share the chunks
    out on the fly, so a worker the OS is slow to run costs at most one chunk)."""
    if not blas_threads or flops < SPLIT_MIN_FLOPS:
        return 1
    return max(1, min(blas_threads, n_chunks))


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
