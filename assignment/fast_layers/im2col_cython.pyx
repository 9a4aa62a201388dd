# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled kernels of the fast layers: im2col, col2im, max pooling and direct stride-1
convolution (``direct_conv``, ``direct_conv_dw``; see the section at the end).

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


# ---------------------------------------------------------------------------------------
# Direct stride-1 convolution (no im2col, no GEMM) over a range of samples.
#
# Why: for the assignment's layers im2col + sgemm is bound by the sgemm peak and by the
# unfold's memory traffic (the ConvNet's first layer: 3 channels, 7x7 filters, a 147-row
# column buffer per pixel). These kernels keep a block of 4 filters x 2 output rows x 2
# vectors of columns in 16 vector registers and stream the zero-padded input plane past
# them (4 vector loads and 4 broadcasts per 16 FMAs), so they run near the FMA peak
# (AVX-512, one thread, float32: 150-180 GFLOP/s against 167 for a 2048^3 sgemm). The
# input gradient is the same kernel on the padded upstream gradient with the filters
# transposed and flipped. The filter gradient runs its vectors over filters instead, on
# the upstream gradient transposed per sample: each input pixel is broadcast against 2 or
# 4 vectors of filters for 4 filter columns, so the accumulators are dw itself.
#
# Tried and dropped: 3-filter blocks for the 3-channel input gradient (no padded fourth
# filter, but 35% slower code); 64-byte aligned staging rows and passes of 16 input
# channels in the forward kernel (no measurable gain in the layer); strides above 1
# (column phases staged apart: slower than im2col + GEMM on the seeds' layer); OpenMP
# over samples (see layers.py: its spinning idle thread stalled the OpenBLAS calls that
# follow in a training step).
#
# The C of direct_conv.h is compiled for AVX-512 only (a function attribute, so one build runs on any
# x86-64) and used when the CPU has it. Built for AVX2 or the baseline, these 64-byte
# vector bodies ran 30-60x slower than AVX-512 and 10-40x slower than im2col + GEMM, so
# CPUs without AVX-512, other architectures and compilers get DIRECT = 0 and keep im2col +
# GEMM.
# ---------------------------------------------------------------------------------------

cdef extern from "direct_conv.h":
    int FL_DIRECT
    int fl_available() nogil
    void fl_fwd_f32(const float* xp, Py_ssize_t C, Py_ssize_t Hrows, Py_ssize_t Wps,
                    const float* wt, const float* bias, Py_ssize_t F, Py_ssize_t Fp,
                    Py_ssize_t KH, Py_ssize_t KW, float* out, Py_ssize_t Ho,
                    Py_ssize_t Wo) noexcept nogil
    void fl_fwd_f64(const double* xp, Py_ssize_t C, Py_ssize_t Hrows, Py_ssize_t Wps,
                    const double* wt, const double* bias, Py_ssize_t F, Py_ssize_t Fp,
                    Py_ssize_t KH, Py_ssize_t KW, double* out, Py_ssize_t Ho,
                    Py_ssize_t Wo) noexcept nogil
    void fl_dwt2_f32(const float* xp, Py_ssize_t C, Py_ssize_t Hrows, Py_ssize_t Wps,
                     const float* dT, Py_ssize_t Fp, Py_ssize_t Ho, Py_ssize_t Wo,
                     Py_ssize_t KH, Py_ssize_t KWp, float* dwt) noexcept nogil
    void fl_dwt4_f32(const float* xp, Py_ssize_t C, Py_ssize_t Hrows, Py_ssize_t Wps,
                     const float* dT, Py_ssize_t Fp, Py_ssize_t Ho, Py_ssize_t Wo,
                     Py_ssize_t KH, Py_ssize_t KWp, float* dwt) noexcept nogil
    void fl_stage_t_f32(const float* src, Py_ssize_t F, Py_ssize_t Fp, Py_ssize_t HW,
                        float* dst) noexcept nogil
    void fl_dwt2_f64(const double* xp, Py_ssize_t C, Py_ssize_t Hrows, Py_ssize_t Wps,
                     const double* dT, Py_ssize_t Fp, Py_ssize_t Ho, Py_ssize_t Wo,
                     Py_ssize_t KH, Py_ssize_t KWp, double* dwt) noexcept nogil
    void fl_dwt4_f64(const double* xp, Py_ssize_t C, Py_ssize_t Hrows, Py_ssize_t Wps,
                     const double* dT, Py_ssize_t Fp, Py_ssize_t Ho, Py_ssize_t Wo,
                     Py_ssize_t KH, Py_ssize_t KWp, double* dwt) noexcept nogil
    void fl_stage_t_f64(const double* src, Py_ssize_t F, Py_ssize_t Fp, Py_ssize_t HW,
                        double* dst) noexcept nogil
    void fl_stage_f32(const float* src, Py_ssize_t C, Py_ssize_t Cp, Py_ssize_t H,
                      Py_ssize_t W, Py_ssize_t pt, Py_ssize_t pl, float* dst,
                      Py_ssize_t Hrows, Py_ssize_t Wps) noexcept nogil
    void fl_stage_f64(const double* src, Py_ssize_t C, Py_ssize_t Cp, Py_ssize_t H,
                      Py_ssize_t W, Py_ssize_t pt, Py_ssize_t pl, double* dst,
                      Py_ssize_t Hrows, Py_ssize_t Wps) noexcept nogil

#: 1 when the direct kernels can run here (built by GCC or clang for x86-64, on a CPU with
#: AVX-512), else 0 and the layers use im2col + GEMM.
DIRECT = 1 if FL_DIRECT and fl_available() else 0
#: The instruction set of the direct kernels, or "none" when DIRECT is 0.
ISA = "avx512f" if DIRECT else "none"
#: Filters per block of the direct kernels: their weight layouts pad F up to a multiple.
FILTER_BLOCK = 4
#: Filter columns per block of the filter-gradient kernel.
COLUMN_BLOCK = 4


def dw_filter_block(Py_ssize_t itemsize, Py_ssize_t F):
    """Filters per block of ``direct_conv_dw`` for ``F`` filters: 4 vectors (64 floats,
    32 doubles) when there are that many, else 2; its ``dwt`` pads F up to a multiple."""
    cdef Py_ssize_t lanes = 64 // itemsize
    return 4 * lanes if F >= 4 * lanes else 2 * lanes


cdef inline Py_ssize_t _round_up(Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    return (a + b - 1) // b * b


def direct_geometry(Py_ssize_t itemsize, Py_ssize_t H, Py_ssize_t W, Py_ssize_t KH,
                    Py_ssize_t KW, Py_ssize_t pad_h, Py_ssize_t pad_w):
    """Staging geometry of one zero-padded input plane: ``(Hrows, Wps, Ho, Wo, Wos)``.

    ``Ho, Wo`` is the stride-1 output size; a staged plane has ``Hrows`` rows of ``Wps``
    elements (room for the kernels' whole tiles of 128 bytes of columns and a spare row),
    and ``Wos`` is ``Wo`` rounded up to a tile (the staged upstream gradient's row length).
    """
    cdef Py_ssize_t tile = 128 // itemsize
    cdef Py_ssize_t Ho = H + 2 * pad_h - KH + 1, Wo = W + 2 * pad_w - KW + 1
    cdef Py_ssize_t Wos = _round_up(Wo, tile)
    return Ho + KH, Wos + _round_up(KW, COLUMN_BLOCK) - 1, Ho, Wo, Wos


def direct_conv(const real[:, :, :, ::1] x, const real[:, :, ::1] wt, const real[::1] bias,
                Py_ssize_t KH, Py_ssize_t KW, Py_ssize_t pad_h, Py_ssize_t pad_w,
                real[:, :, :, ::1] out, real[::1] scratch, Py_ssize_t n0, Py_ssize_t n1):
    """Stride-1 correlation of samples ``n0 .. n1`` with the filters, plus the bias.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W), C-contiguous
    wt : ndarray of shape (Fp // FILTER_BLOCK, C * KH * KW, FILTER_BLOCK)
        ``wt[f // FILTER_BLOCK, (c * KH + kh) * KW + kw, f % FILTER_BLOCK]`` is filter
        ``f``'s tap (each block's taps contiguous); ``Fp`` is at least ``F`` and filters
        past ``F`` are ignored.
    bias : ndarray of shape (Fp,)
    KH, KW, pad_h, pad_w : int
        Filter size and zero padding (top and bottom, left and right).
    out : ndarray of shape (N, F, Ho, Wo); samples ``n0 .. n1`` are written in full.
    scratch : ndarray of at least ``C * Hrows * Wps`` elements (see direct_geometry),
        this thread's own.
    n0, n1 : int
        The samples to compute.
    """
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t F = out.shape[1], Fp = wt.shape[0] * wt.shape[2], n
    Hrows, Wps, Ho, Wo, Wos = direct_geometry(sizeof(real), H, W, KH, KW, pad_h, pad_w)
    cdef Py_ssize_t hr = Hrows, ws = Wps, ho = Ho, wo = Wo
    if (not DIRECT or wt.shape[2] != FILTER_BLOCK or Fp < F or wt.shape[1] != C * KH * KW
            or bias.shape[0] != Fp or out.shape[0] != N or out.shape[2] != Ho
            or out.shape[3] != Wo or scratch.shape[0] < C * hr * ws
            or not 0 <= n0 <= n1 <= N):
        raise ValueError("direct_conv: arguments do not match the geometry")
    if n0 == n1 or F == 0:
        return
    with nogil:
        for n in range(n0, n1):
            if real is float:
                fl_stage_f32(&x[n, 0, 0, 0], C, C, H, W, pad_h, pad_w, &scratch[0], hr, ws)
                fl_fwd_f32(&scratch[0], C, hr, ws, &wt[0, 0, 0], &bias[0], F, Fp, KH, KW,
                           &out[n, 0, 0, 0], ho, wo)
            else:
                fl_stage_f64(&x[n, 0, 0, 0], C, C, H, W, pad_h, pad_w, &scratch[0], hr, ws)
                fl_fwd_f64(&scratch[0], C, hr, ws, &wt[0, 0, 0], &bias[0], F, Fp, KH, KW,
                           &out[n, 0, 0, 0], ho, wo)


def direct_conv_dw(const real[:, :, :, ::1] x, const real[:, :, :, ::1] dout,
                   Py_ssize_t KH, Py_ssize_t KW, Py_ssize_t pad_h, Py_ssize_t pad_w,
                   real[:, ::1] dwt, real[::1] scratch, Py_ssize_t n0, Py_ssize_t n1):
    """Add the filter gradient of samples ``n0 .. n1`` (stride 1) into ``dwt``.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W), C-contiguous
    dout : ndarray of shape (N, F, Ho, Wo), C-contiguous
    KH, KW, pad_h, pad_w : int
    dwt : ndarray of shape (C * KH * KWp, Fp), accumulated into:
        ``dwt[(c * KH + kh) * KWp + kw, f]`` for ``kw < KW`` and ``f < F``. ``KWp`` is KW
        rounded up to ``COLUMN_BLOCK``, ``Fp`` is F rounded up to ``dw_filter_block``; the
        other rows and columns receive sums of no interest (to be dropped).
    scratch : ndarray of at least ``C * Hrows * Wps + Ho * Wo * Fp + 16`` elements (see
        direct_geometry), this thread's own.
    n0, n1 : int
        The samples to add up.
    """
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t F = dout.shape[1], Fp = dwt.shape[1]
    cdef Py_ssize_t KWp = _round_up(KW, COLUMN_BLOCK), n, fb = dw_filter_block(sizeof(real), F)
    Hrows, Wps, Ho, Wo, Wos = direct_geometry(sizeof(real), H, W, KH, KW, pad_h, pad_w)
    cdef Py_ssize_t hr = Hrows, ws = Wps, ho = Ho, wo = Wo
    cdef Py_ssize_t xsize = C * hr * ws, lanes = 64 // sizeof(real)
    if (not DIRECT or Fp % fb or Fp < F or dwt.shape[0] != C * KH * KWp
            or dout.shape[0] != N or dout.shape[2] != Ho or dout.shape[3] != Wo
            or scratch.shape[0] < xsize + ho * wo * Fp + lanes or not 0 <= n0 <= n1 <= N):
        raise ValueError("direct_conv_dw: arguments do not match the geometry")
    if n0 == n1 or F == 0:
        return
    # The transposed gradient starts on 64 bytes, so its vector loads never straddle
    # cache lines (its rows are whole vectors).
    cdef Py_ssize_t t0 = xsize + ((64 - <size_t>&scratch[xsize] % 64) % 64) // sizeof(real)
    with nogil:
        for n in range(n0, n1):
            if real is float:
                fl_stage_f32(&x[n, 0, 0, 0], C, C, H, W, pad_h, pad_w, &scratch[0], hr, ws)
                fl_stage_t_f32(&dout[n, 0, 0, 0], F, Fp, ho * wo, &scratch[t0])
                if fb == 4 * lanes:
                    fl_dwt4_f32(&scratch[0], C, hr, ws, &scratch[t0], Fp, ho, wo, KH, KWp,
                                &dwt[0, 0])
                else:
                    fl_dwt2_f32(&scratch[0], C, hr, ws, &scratch[t0], Fp, ho, wo, KH, KWp,
                                &dwt[0, 0])
            else:
                fl_stage_f64(&x[n, 0, 0, 0], C, C, H, W, pad_h, pad_w, &scratch[0], hr, ws)
                fl_stage_t_f64(&dout[n, 0, 0, 0], F, Fp, ho * wo, &scratch[t0])
                if fb == 4 * lanes:
                    fl_dwt4_f64(&scratch[0], C, hr, ws, &scratch[t0], Fp, ho, wo, KH, KWp,
                                &dwt[0, 0])
                else:
                    fl_dwt2_f64(&scratch[0], C, hr, ws, &scratch[t0], Fp, ho, wo, KH, KWp,
                                &dwt[0, 0])
