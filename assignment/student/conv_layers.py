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
    # YOUR CODE HERE
    raise NotImplementedError("conv_forward_naive: not implemented yet")
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
    # YOUR CODE HERE
    raise NotImplementedError("conv_backward_naive: not implemented yet")
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
    # YOUR CODE HERE
    raise NotImplementedError("max_pool_forward_naive: not implemented yet")
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
    # YOUR CODE HERE
    raise NotImplementedError("max_pool_backward_naive: not implemented yet")
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
    # YOUR CODE HERE
    raise NotImplementedError("spatial_batchnorm_forward: not implemented yet")
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
    # YOUR CODE HERE
    raise NotImplementedError("spatial_batchnorm_backward: not implemented yet")
    return dx, dgamma, dbeta
