# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled kernels of the fast layers: im2col, col2im and max pooling.

Every kernel takes its output buffer from the caller, works on float32 or float64
(one fused type, so a call never converts) and releases the GIL, so the layers' worker
threads run kernels on disjoint samples at once. Loops go over independent
``(sample, channel)`` planes with ``prange``; setup.py builds without OpenMP on purpose,
so they run serially: OpenMP inside the kernels halved im2col alone, but its spinning
threads fought the BLAS threads and whole conv layers got slower on these 2-core machines.

Layout of a column buffer ``cols`` of shape ``(C * HH * WW, B, H_out * W_out)``: row
``(c * HH + kh) * WW + kw`` holds, for each of the ``B`` samples of the chunk, the input
pixel that filter tap ``(kh, kw)`` of channel ``c`` sees at every output position. Rows
match ``w.reshape(F, -1)``, so one GEMM ``w2d @ cols.reshape(K, -1)`` is the convolution.
Only the last axis must be contiguous: ``cols`` may also be the view
``buf[:, :K].transpose(1, 0, 2)`` of a sample-major buffer ``buf`` of shape
``(B, K + 1, H_out * W_out)`` (the layers' small-layer path, one GEMM per sample).

Index arithmetic is all integer (``//`` only where it cannot see a negative operand, since
``cdivision`` gives C's truncating division): Cython 3 made ``/`` true division, which is
what broke the original kit.
"""

from cython.parallel cimport prange
from libc.string cimport memcpy, memset

ctypedef fused real:
    float
    double


cdef inline bint _same_shape4(Py_ssize_t* a, Py_ssize_t* b) noexcept nogil:
    return a[0] == b[0] and a[1] == b[1] and a[2] == b[2] and a[3] == b[3]


cdef inline void _tap_range(Py_ssize_t size, Py_ssize_t n_out, Py_ssize_t stride,
                            Py_ssize_t offset, Py_ssize_t* lo, Py_ssize_t* hi) noexcept nogil:
    """Output indices ``j`` in ``[lo, hi)`` whose input index ``j*stride + offset`` is inside
    ``[0, size)``; ``offset = k - pad`` may be negative."""
    cdef Py_ssize_t a, b
    # lo: smallest j >= 0 with j*stride + offset >= 0.
    if offset >= 0:
        a = 0
    else:
        a = (-offset + stride - 1) // stride
    # hi: one past the largest j with j*stride + offset <= size - 1.
    if size - 1 - offset < 0:
        b = 0
    else:
        b = (size - 1 - offset) // stride + 1
    if b > n_out:
        b = n_out
    if a > b:
        a = b
    lo[0] = a
    hi[0] = b


cdef void _im2col_plane(const real* xp, real* cp, Py_ssize_t H, Py_ssize_t W,
                        Py_ssize_t HH, Py_ssize_t WW, Py_ssize_t stride, Py_ssize_t pad,
                        Py_ssize_t H_out, Py_ssize_t W_out, Py_ssize_t row_stride) noexcept nogil:
    """Fill the ``HH*WW`` rows of one input plane ``xp`` (H, W); rows are ``row_stride`` apart."""
    cdef Py_ssize_t kh, kw, i, j, h, j0, j1, i0, i1
    cdef real* row
    cdef real* dst
    cdef const real* src
    for kh in range(HH):
        _tap_range(H, H_out, stride, kh - pad, &i0, &i1)
        for kw in range(WW):
            row = cp + (kh * WW + kw) * row_stride
            _tap_range(W, W_out, stride, kw - pad, &j0, &j1)
            # Rows of the window that fall in the top or bottom padding are all zero.
            if i0 > 0:
                memset(row, 0, i0 * W_out * sizeof(real))
            if i1 < H_out:
                memset(row + i1 * W_out, 0, (H_out - i1) * W_out * sizeof(real))
            for i in range(i0, i1):
                h = i * stride + kh - pad
                dst = row + i * W_out
                src = xp + h * W + kw - pad
                if j0 > 0:
                    memset(dst, 0, j0 * sizeof(real))
                if j1 < W_out:
                    memset(dst + j1, 0, (W_out - j1) * sizeof(real))
                if stride == 1:
                    memcpy(dst + j0, src + j0, (j1 - j0) * sizeof(real))
                else:
                    for j in range(j0, j1):
                        dst[j] = src[j * stride]


cdef void _col2im_plane(real* dxp, const real* cp, Py_ssize_t H, Py_ssize_t W,
                        Py_ssize_t HH, Py_ssize_t WW, Py_ssize_t stride, Py_ssize_t pad,
                        Py_ssize_t H_out, Py_ssize_t W_out, Py_ssize_t row_stride) noexcept nogil:
    """Add the ``HH*WW`` rows of one plane's columns into ``dxp`` (H, W); padding is dropped."""
    cdef Py_ssize_t kh, kw, i, j, j0, j1, i0, i1
    cdef const real* src
    cdef real* dst
    for kh in range(HH):
        _tap_range(H, H_out, stride, kh - pad, &i0, &i1)
        for kw in range(WW):
            _tap_range(W, W_out, stride, kw - pad, &j0, &j1)
            for i in range(i0, i1):
                src = cp + (kh * WW + kw) * row_stride + i * W_out
                dst = dxp + (i * stride + kh - pad) * W + kw - pad
                if stride == 1:
                    for j in range(j0, j1):
                        dst[j] += src[j]
                else:
                    for j in range(j0, j1):
                        dst[j * stride] += src[j]


def im2col(const real[:, :, :, ::1] x, Py_ssize_t n0, Py_ssize_t HH, Py_ssize_t WW,
           Py_ssize_t stride, Py_ssize_t pad, real[:, :, :] cols):
    """Unfold samples ``n0 .. n0 + B`` of ``x`` into ``cols``.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W), C-contiguous
    n0 : int
        First sample of the chunk.
    HH, WW, stride, pad : int
        Filter size, stride and zero padding (geometry already validated).
    cols : ndarray of shape (C * HH * WW, B, H_out * W_out), its last axis contiguous
        (rows may be any multiple of the element size apart), written in full.
    """
    cdef Py_ssize_t C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t B = cols.shape[1], HWo = cols.shape[2]
    cdef Py_ssize_t H_out = (H + 2 * pad - HH) // stride + 1
    cdef Py_ssize_t W_out = (W + 2 * pad - WW) // stride + 1
    cdef Py_ssize_t p, b, c
    if H_out * W_out != HWo or cols.shape[0] != C * HH * WW or n0 + B > x.shape[0]:
        raise ValueError("im2col: cols buffer does not match the geometry")
    if cols.strides[2] != sizeof(real) or cols.strides[0] % sizeof(real) != 0:
        raise ValueError("im2col: the last axis of cols must be contiguous")
    cdef Py_ssize_t row_stride = cols.strides[0] // <Py_ssize_t>sizeof(real)
    if B * C == 0 or HWo == 0:
        return
    with nogil:
        for p in prange(B * C, schedule="static"):
            b = p // C
            c = p % C
            _im2col_plane(&x[n0 + b, c, 0, 0], &cols[c * HH * WW, b, 0], H, W, HH, WW,
                          stride, pad, H_out, W_out, row_stride)


def col2im(const real[:, :, :] cols, Py_ssize_t n0, Py_ssize_t HH, Py_ssize_t WW,
           Py_ssize_t stride, Py_ssize_t pad, real[:, :, :, ::1] dx):
    """Add ``cols`` back into samples ``n0 .. n0 + B`` of ``dx`` (the adjoint of im2col).

    Parameters
    ----------
    cols : ndarray of shape (C * HH * WW, B, H_out * W_out), its last axis contiguous
    n0 : int
        First sample of the chunk.
    HH, WW, stride, pad : int
        Filter size, stride and zero padding.
    dx : ndarray of shape (N, C, H, W), C-contiguous, accumulated into (zero it first).
    """
    cdef Py_ssize_t C = dx.shape[1], H = dx.shape[2], W = dx.shape[3]
    cdef Py_ssize_t B = cols.shape[1], HWo = cols.shape[2]
    cdef Py_ssize_t H_out = (H + 2 * pad - HH) // stride + 1
    cdef Py_ssize_t W_out = (W + 2 * pad - WW) // stride + 1
    cdef Py_ssize_t p, b, c
    if H_out * W_out != HWo or cols.shape[0] != C * HH * WW or n0 + B > dx.shape[0]:
        raise ValueError("col2im: cols buffer does not match the geometry")
    if cols.strides[2] != sizeof(real) or cols.strides[0] % sizeof(real) != 0:
        raise ValueError("col2im: the last axis of cols must be contiguous")
    cdef Py_ssize_t row_stride = cols.strides[0] // <Py_ssize_t>sizeof(real)
    if B * C == 0 or HWo == 0:
        return
    with nogil:
        for p in prange(B * C, schedule="static"):
            b = p // C
            c = p % C
            _col2im_plane(&dx[n0 + b, c, 0, 0], &cols[c * HH * WW, b, 0], H, W, HH, WW,
                          stride, pad, H_out, W_out, row_stride)


def max_pool_forward(const real[:, :, :, ::1] x, Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t stride,
                     real[:, :, :, ::1] out, int[:, :, :, ::1] argmax):
    """Max over every window, and where it was (flat index ``h * W + w`` in its plane).

    The first maximum in row-major order wins a tie, like the naive layer; windows may
    overlap or leave rows and columns uncovered.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W), C-contiguous
    ph, pw, stride : int
        Window size and step (geometry already validated).
    out : ndarray of shape (N, C, H_out, W_out), written in full.
    argmax : int32 ndarray of shape (N, C, H_out, W_out), written in full.
    """
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t H_out = out.shape[2], W_out = out.shape[3]
    cdef Py_ssize_t p, i, j, a, k, hs, ws, best_idx
    cdef real best, v
    cdef const real* xp
    if ((H_out - 1) * stride + ph > H or (W_out - 1) * stride + pw > W
            or out.shape[0] != N or out.shape[1] != C
            or not _same_shape4(argmax.shape, out.shape)):
        raise ValueError("max_pool_forward: output does not match the geometry")
    with nogil:
        for p in prange(N * C, schedule="static"):
            xp = &x[p // C, p % C, 0, 0]
            for i in range(H_out):
                hs = i * stride
                for j in range(W_out):
                    ws = j * stride
                    best_idx = hs * W + ws
                    best = xp[best_idx]
                    for a in range(ph):
                        for k in range(pw):
                            v = xp[(hs + a) * W + ws + k]
                            if v > best:
                                best = v
                                best_idx = (hs + a) * W + ws + k
                    out[p // C, p % C, i, j] = best
                    argmax[p // C, p % C, i, j] = <int>best_idx


def max_pool_backward(const real[:, :, :, ::1] dout, const int[:, :, :, ::1] argmax,
                      real[:, :, :, ::1] dx):
    """Route each window's gradient to its maximum, accumulating where windows overlap.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H_out, W_out), C-contiguous
    argmax : int32 ndarray of shape (N, C, H_out, W_out) from :func:`max_pool_forward`.
    dx : ndarray of shape (N, C, H, W), C-contiguous and zeroed; accumulated into.
    """
    cdef Py_ssize_t N = dout.shape[0], C = dout.shape[1]
    cdef Py_ssize_t HWo = dout.shape[2] * dout.shape[3], HW = dx.shape[2] * dx.shape[3]
    cdef Py_ssize_t p, q, idx
    cdef const real* dp
    cdef const int* ap
    cdef real* xp
    if (not _same_shape4(argmax.shape, dout.shape)
            or dx.shape[0] != N or dx.shape[1] != C):
        raise ValueError("max_pool_backward: dout, argmax and dx do not match")
    with nogil:
        for p in prange(N * C, schedule="static"):
            dp = &dout[p // C, p % C, 0, 0]
            ap = &argmax[p // C, p % C, 0, 0]
            xp = &dx[p // C, p % C, 0, 0]
            for q in range(HWo):
                idx = ap[q]
                # An index from a different geometry must not become a stray write.
                if 0 <= idx < HW:
                    xp[idx] += dp[q]
