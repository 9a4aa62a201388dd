"""Pure-numpy kernels with exactly the API of the compiled ``im2col_cython`` module.

Used when the extension is not built (or when ``ASSIGNMENT_FAST_BACKEND=numpy``). Every
function fills a buffer the caller allocated, so :mod:`.layers` drives both backends with
the same code. The loops run over filter taps or window offsets (``HH * WW`` iterations),
never over pixels, so this path is slower than the extension but far from the naive loops.
"""

import numpy as np


def _out_size(size, k, stride, pad):
    return (size + 2 * pad - k) // stride + 1


def im2col(x, n0, HH, WW, stride, pad, cols):
    """Unfold samples ``n0 .. n0 + B`` of ``x`` into ``cols``.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    n0 : int
        First sample of the chunk.
    HH, WW, stride, pad : int
        Filter size, stride and zero padding (geometry already validated).
    cols : ndarray of shape (C * HH * WW, B, H_out * W_out), written in full.
    """
    _, C, H, W = x.shape
    K, B, _ = cols.shape
    H_out, W_out = _out_size(H, HH, stride, pad), _out_size(W, WW, stride, pad)
    x_pad = np.pad(x[n0 : n0 + B], ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # View cols as (C, HH, WW, B, H_out, W_out) and copy one filter tap at a time.
    view = cols.reshape(C, HH, WW, B, H_out, W_out)
    h_span, w_span = stride * (H_out - 1) + 1, stride * (W_out - 1) + 1
    for kh in range(HH):
        for kw in range(WW):
            tap = x_pad[:, :, kh : kh + h_span : stride, kw : kw + w_span : stride]
            view[:, kh, kw] = tap.transpose(1, 0, 2, 3)


def col2im(cols, n0, HH, WW, stride, pad, dx):
    """Add ``cols`` back into samples ``n0 .. n0 + B`` of ``dx`` (the adjoint of im2col).

    Parameters
    ----------
    cols : ndarray of shape (C * HH * WW, B, H_out * W_out)
    n0 : int
        First sample of the chunk.
    HH, WW, stride, pad : int
        Filter size, stride and zero padding.
    dx : ndarray of shape (N, C, H, W), accumulated into (zero it first).
    """
    _, C, H, W = dx.shape
    K, B, _ = cols.shape
    H_out, W_out = _out_size(H, HH, stride, pad), _out_size(W, WW, stride, pad)
    dx_pad = np.zeros((B, C, H + 2 * pad, W + 2 * pad), dtype=dx.dtype)
    view = cols.reshape(C, HH, WW, B, H_out, W_out)
    h_span, w_span = stride * (H_out - 1) + 1, stride * (W_out - 1) + 1
    for kh in range(HH):
        for kw in range(WW):
            # Within one tap the strided positions are distinct, so += cannot lose updates.
            dx_pad[:, :, kh : kh + h_span : stride, kw : kw + w_span : stride] += view[
                :, kh, kw
            ].transpose(1, 0, 2, 3)
    dx[n0 : n0 + B] += dx_pad[:, :, pad : pad + H, pad : pad + W]


def max_pool_forward(x, ph, pw, stride, out, argmax):
    """Max over every window, and where it was (flat index ``h * W + w`` in its plane).

    The first maximum in row-major order wins a tie, like the naive layer.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    ph, pw, stride : int
        Window size and step (geometry already validated).
    out : ndarray of shape (N, C, H_out, W_out), written in full.
    argmax : int32 ndarray of shape (N, C, H_out, W_out), written in full.
    """
    N, C, H, W = x.shape
    H_out, W_out = out.shape[2:]
    h_span, w_span = stride * (H_out - 1) + 1, stride * (W_out - 1) + 1
    best = x[:, :, 0:h_span:stride, 0:w_span:stride].copy()
    best_off = np.zeros(best.shape, dtype=np.int32)
    # Scan the window offsets in row-major order; strict '>' keeps the first maximum.
    for a in range(ph):
        for k in range(pw):
            cand = x[:, :, a : a + h_span : stride, k : k + w_span : stride]
            better = cand > best
            np.copyto(best, cand, where=better)
            best_off[better] = a * W + k
    out[...] = best
    rows = (np.arange(H_out, dtype=np.int32) * stride * W)[:, None]
    cols = (np.arange(W_out, dtype=np.int32) * stride)[None, :]
    argmax[...] = best_off + rows + cols


def max_pool_backward(dout, argmax, dx):
    """Route each window's gradient to its maximum, accumulating where windows overlap.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H_out, W_out)
    argmax : int32 ndarray of shape (N, C, H_out, W_out) from :func:`max_pool_forward`.
    dx : ndarray of shape (N, C, H, W), zeroed; accumulated into.
    """
    N, C, H, W = dx.shape
    planes = np.arange(N * C, dtype=np.int64).reshape(N, C, 1, 1) * (H * W)
    flat = (argmax + planes).ravel()
    # bincount sums duplicate indices (overlapping windows), which dx[idx] += ... would not.
    summed = np.bincount(flat, weights=dout.ravel(), minlength=N * C * H * W)
    dx += summed.reshape(dx.shape).astype(dx.dtype, copy=False)
