"""Naive convolution, max pooling and spatial batch normalisation layers.

Every function follows the assignment contract: ``*_forward(...) -> (out, cache)`` and
``*_backward(dout, cache) -> gradients``. These are the plain-loop versions students
write; the fast im2col versions in :mod:`assignment.fast_layers` keep the same API.
"""

import numpy as np

# The output-size rule (and its ValueError naming the misfit) is shared with the fast layers,
# which ship in the handout too.
from assignment.fast_layers._geometry import conv_output_shape as _conv_geometry

from .layers import batchnorm_backward, batchnorm_forward


def conv_forward_naive(x, w, b, conv_param):
    """Forward pass of a convolutional layer, written with plain loops.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
        Input images.
    w : ndarray of shape (F, C, HH, WW)
        Filter weights.
    b : ndarray of shape (F,)
        Biases.
    conv_param : dict
        ``'stride'``: pixels between neighbouring receptive fields (both directions);
        ``'pad'``: zeros added on each side of the height and width axes.

    Returns
    -------
    out : ndarray of shape (N, F, H_out, W_out)
        ``H_out = 1 + (H + 2 * pad - HH) // stride``, likewise ``W_out``.
    cache : tuple
        ``(x, w, b, conv_param)``.

    Raises
    ------
    ValueError
        When the padded input does not divide into windows at the given stride.
    """
    out = None
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    H_out, W_out = _conv_geometry(H, W, HH, WW, stride, pad)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w, b))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    window = x_pad[n, :, hs : hs + HH, ws : ws + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    ### END SOLUTION
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    """Backward pass of a convolutional layer, written with plain loops.

    Parameters
    ----------
    dout : ndarray of shape (N, F, H_out, W_out)
        Upstream gradient.
    cache : tuple
        ``(x, w, b, conv_param)`` as returned by :func:`conv_forward_naive`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    dw : ndarray of shape (F, C, HH, WW)
    db : ndarray of shape (F,)
    """
    dx, dw, db = None, None, None
    ### BEGIN SOLUTION
    x, w, b, conv_param = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    H_out, W_out = _conv_geometry(H, W, HH, WW, stride, pad)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad, dtype=np.result_type(x, dout))
    dw = np.zeros_like(w, dtype=np.result_type(w, dout))
    db = dout.sum(axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    g = dout[n, f, i, j]
                    dw[f] += g * x_pad[n, :, hs : hs + HH, ws : ws + WW]
                    dx_pad[n, :, hs : hs + HH, ws : ws + WW] += g * w[f]
    # The gradient of the zero padding is thrown away: crop back to the input size.
    dx = dx_pad[:, :, pad : pad + H, pad : pad + W]
    ### END SOLUTION
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    """Forward pass of a max pooling layer, written with plain loops.

    Windows may overlap (stride smaller than the window) and need not be square.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
        Input data.
    pool_param : dict
        ``'pool_height'``, ``'pool_width'``: window size; ``'stride'``: step between windows.

    Returns
    -------
    out : ndarray of shape (N, C, H_out, W_out)
        ``H_out = 1 + (H - pool_height) // stride``, likewise ``W_out``.
    cache : tuple
        ``(x, pool_param)``.

    Raises
    ------
    ValueError
        When the windows do not fit the input at the given stride.
    """
    out = None
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    H_out, W_out = _conv_geometry(H, W, ph, pw, stride, 0)
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            out[:, :, i, j] = x[:, :, hs : hs + ph, ws : ws + pw].max(axis=(2, 3))
    ### END SOLUTION
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    """Backward pass of a max pooling layer, written with plain loops.

    Each window's gradient goes to the position of its maximum (the first one when several
    positions tie) and *accumulates* there, so overlapping windows are handled.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H_out, W_out)
        Upstream gradient.
    cache : tuple
        ``(x, pool_param)`` as returned by :func:`max_pool_forward_naive`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    """
    dx = None
    ### BEGIN SOLUTION
    x, pool_param = cache
    N, C, H, W = x.shape
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    H_out, W_out = _conv_geometry(H, W, ph, pw, stride, 0)
    dx = np.zeros_like(x, dtype=np.result_type(x, dout))
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    window = x[n, c, hs : hs + ph, ws : ws + pw]
                    a, bidx = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, hs + a, ws + bidx] += dout[n, c, i, j]
    ### END SOLUTION
    return dx


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Forward pass of spatial batch normalisation (one mean and variance per channel).

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
        Input data.
    gamma : ndarray of shape (C,)
        Scale per channel.
    beta : ndarray of shape (C,)
        Shift per channel.
    bn_param : dict
        ``'mode'`` (``'train'`` or ``'test'``, required); ``'eps'`` (default 1e-5);
        ``'momentum'`` (default 0.9); ``'running_mean'`` and ``'running_var'`` of shape
        (C,), created and updated in place of the dict in train mode.

    Returns
    -------
    out : ndarray of shape (N, C, H, W)
    cache : object
        What :func:`spatial_batchnorm_backward` needs.
    """
    out, cache = None, None
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    # Move channels last so every (n, h, w) position is one "sample" of C features.
    x_flat = x.transpose(0, 2, 3, 1).reshape(-1, C)
    out_flat, cache = batchnorm_forward(x_flat, gamma, beta, bn_param)
    out = out_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    ### END SOLUTION
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    """Backward pass of spatial batch normalisation.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H, W)
        Upstream gradient.
    cache : object
        As returned by :func:`spatial_batchnorm_forward`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    dgamma : ndarray of shape (C,)
    dbeta : ndarray of shape (C,)
    """
    dx, dgamma, dbeta = None, None, None
    ### BEGIN SOLUTION
    N, C, H, W = dout.shape
    dout_flat = dout.transpose(0, 2, 3, 1).reshape(-1, C)
    dx_flat, dgamma, dbeta = batchnorm_backward(dout_flat, cache)
    dx = dx_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    ### END SOLUTION
    return dx, dgamma, dbeta
