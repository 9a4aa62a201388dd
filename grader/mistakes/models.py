"""What a layer gives when it makes a given mistake: small numpy models, run in the parent.

The behavioural recognisers (:mod:`.rec_conv`, :mod:`.rec_norm`, :mod:`.rec_other`) predict a
student's output under a hypothesis ("the window is kh x kh", "the gradient goes to the whole
window", "the stride is ignored") by running these on the check's own inputs, and compare.
They are the grader's own code, written from the definitions (windows, maxima, batch
statistics), with knobs where students go wrong; they never run student code.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def out_size(size, k, stride, pad=0):
    """Number of windows of size ``k`` at ``stride`` over ``size + 2 * pad`` (the floor rule)."""
    return (size + 2 * pad - k) // stride + 1


def pad2(x, pad):
    """Zero padding of the last two axes."""
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(pad, pad), (pad, pad)])


def windows(x, kh, kw, sh, sw, n_h, n_w, fill=0.0):
    """``(..., n_h, n_w, kh, kw)`` windows of the last two axes starting at ``(i*sh, j*sw)``.

    Windows that run past the bottom or right edge (as numpy slicing lets a loop do) are
    completed with ``fill``.
    """
    need_h = max((n_h - 1) * sh + kh - x.shape[-2], 0)
    need_w = max((n_w - 1) * sw + kw - x.shape[-1], 0)
    if need_h or need_w:
        x = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(0, need_h), (0, need_w)],
                   constant_values=fill)
    win = sliding_window_view(x, (kh, kw), axis=(-2, -1))
    return win[..., ::sh, ::sw, :, :][..., :n_h, :n_w, :, :]


# ------------------------------------------------------------------------- convolution
def conv_forward(x, w, b, sh, sw, pad, kh=None, kw=None, n_h=None, n_w=None):
    """Cross-correlation of ``x`` (N,C,H,W) with ``w`` (F,C,HH,WW) plus ``b``."""
    kh = w.shape[2] if kh is None else kh
    kw = w.shape[3] if kw is None else kw
    xp = pad2(np.asarray(x, np.float64), pad)
    n_h = out_size(x.shape[2], kh, sh, pad) if n_h is None else n_h
    n_w = out_size(x.shape[3], kw, sw, pad) if n_w is None else n_w
    win = windows(xp, kh, kw, sh, sw, n_h, n_w)
    return np.einsum("nchwij,fcij->nfhw", win, w[:, :, :kh, :kw]) + b[None, :, None, None]


def conv_backward(x, w, dout, sh, sw, pad):
    """``(dx_padded, dw, db)`` for windows at ``(i*sh, j*sw)``, one per element of ``dout``.

    ``dout`` may have fewer rows or columns than the true output (a loop that stopped
    early); windows past the padded input are cut off, as slicing does.
    """
    x = np.asarray(x, np.float64)
    dout = np.asarray(dout, np.float64)
    kh, kw = w.shape[2:]
    xp = pad2(x, pad)
    Hp, Wp = xp.shape[2:]
    dxp = np.zeros_like(xp)
    dw = np.zeros(w.shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            h0, w0 = i * sh, j * sw
            h1, w1 = min(h0 + kh, Hp), min(w0 + kw, Wp)
            if h1 <= h0 or w1 <= w0:
                continue
            g = dout[:, :, i, j]
            dw[:, :, : h1 - h0, : w1 - w0] += np.einsum("nf,nchw->fchw", g,
                                                       xp[:, :, h0:h1, w0:w1])
            dxp[:, :, h0:h1, w0:w1] += np.einsum("nf,fchw->nchw", g,
                                                 w[:, :, : h1 - h0, : w1 - w0])
    return dxp, dw, dout.sum(axis=(0, 2, 3))


# ------------------------------------------------------------------------- max pooling
def pool_forward(x, kh, kw, sh, sw, n_h=None, n_w=None):
    """Max over ``kh x kw`` windows at ``(i*sh, j*sw)``; windows past the edge are cut off."""
    x = np.asarray(x, np.float64)
    n_h = out_size(x.shape[2], kh, sh) if n_h is None else n_h
    n_w = out_size(x.shape[3], kw, sw) if n_w is None else n_w
    return windows(x, kh, kw, sh, sw, n_h, n_w, fill=-np.inf).max(axis=(-2, -1))


POOL_ROUTES = ("argmax", "whole", "average", "mask_assign", "argmax_assign", "whole_assign")


def pool_backward(x, dout, kh, kw, sh, sw, route="argmax", place=None):
    """dx of max pooling with the gradient routed one way, windows visited row by row.

    ``route``: ``argmax`` (to the first maximum, accumulated), ``whole`` (to every position
    of the window, accumulated), ``average`` (``dout / (kh*kw)`` to every position),
    ``mask_assign`` (the window's slice of dx overwritten with ``mask * dout``),
    ``argmax_assign`` (``dx[max] = dout``), ``whole_assign`` (the window overwritten with
    ``dout``).
    """
    x = np.asarray(x, np.float64)
    dout = np.asarray(dout, np.float64)
    H, W = x.shape[2:]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            h0, w0 = i * sh, j * sw
            h1, w1 = min(h0 + kh, H), min(w0 + kw, W)
            if h1 <= h0 or w1 <= w0:
                continue
            win = x[:, :, h0:h1, w0:w1]
            g = dout[:, :, i, j][:, :, None, None]
            flat = win.reshape(win.shape[0], win.shape[1], -1)
            first = np.zeros_like(flat)
            np.put_along_axis(first, flat.argmax(axis=-1)[..., None], 1.0, axis=-1)
            first = first.reshape(win.shape)
            region = dx[:, :, h0:h1, w0:w1]
            if place is not None and route == "argmax":
                p0, q0 = i * place, j * place
                dx[:, :, p0:p0 + h1 - h0, q0:q0 + w1 - w0] += (first * g)[
                    :, :, : max(min(H - p0, h1 - h0), 0), : max(min(W - q0, w1 - w0), 0)]
            elif route == "argmax":
                region += first * g
            elif route == "whole":
                region += g
            elif route == "average":
                region += g / (kh * kw)
            elif route == "mask_assign":
                region[...] = (win == win.max(axis=(2, 3), keepdims=True)) * g
            elif route == "argmax_assign":
                region[...] = np.where(first > 0, g, region)
            elif route == "whole_assign":
                region[...] = g
            else:
                raise ValueError(route)
    return dx


# ------------------------------------------------------------------------- batch norm
def normalise(x, axis, eps=1e-5):
    """``(x - mean) / sqrt(var + eps)`` over ``axis`` (the batch statistics)."""
    x = np.asarray(x, np.float64)
    mu = x.mean(axis=axis, keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=axis, keepdims=True) + eps)


def bn_backward(dout, x, gamma, eps=1e-5):
    """dx of train-mode batch normalisation over axis 0 of (M, D) arrays."""
    x_hat = normalise(x, 0, eps)
    inv = 1.0 / np.sqrt(np.asarray(x, np.float64).var(axis=0) + eps)
    g = dout * gamma
    m = x.shape[0]
    return inv / m * (m * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))


def channels_last(x):
    """(N, C, H, W) -> (N*H*W, C), one row per position."""
    n, c, h, w = x.shape
    return np.asarray(x).transpose(0, 2, 3, 1).reshape(n * h * w, c)


def channels_first(flat, shape):
    """The inverse of :func:`channels_last`."""
    n, c, h, w = shape
    return flat.reshape(n, h, w, c).transpose(0, 3, 1, 2)
