"""Sandwich layers: common stacks of layers as one forward/backward pair.

These use the fast convolution and pooling layers of :mod:`assignment.fast_layers`,
which keep the naive API.
"""

from assignment.fast_layers import (
    conv_backward_fast,
    conv_forward_fast,
    max_pool_backward_fast,
    max_pool_forward_fast,
)

from .layers import affine_backward, affine_forward, relu_backward, relu_forward


def affine_relu_forward(x, w, b):
    """Affine layer followed by a ReLU.

    Parameters
    ----------
    x : ndarray of shape (N, d_1, ..., d_k)
    w : ndarray of shape (D, M)
    b : ndarray of shape (M,)

    Returns
    -------
    out : ndarray of shape (N, M)
    cache : tuple
        ``(fc_cache, relu_cache)``.
    """
    # YOUR CODE HERE
    raise NotImplementedError("affine_relu_forward: not implemented yet")
    return out, cache


def affine_relu_backward(dout, cache):
    """Backward pass of :func:`affine_relu_forward`.

    Parameters
    ----------
    dout : ndarray of shape (N, M)
    cache : tuple

    Returns
    -------
    dx : ndarray of shape (N, d_1, ..., d_k)
    dw : ndarray of shape (D, M)
    db : ndarray of shape (M,)
    """
    # YOUR CODE HERE
    raise NotImplementedError("affine_relu_backward: not implemented yet")
    return dx, dw, db


def conv_relu_forward(x, w, b, conv_param):
    """Convolution followed by a ReLU.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    w : ndarray of shape (F, C, HH, WW)
    b : ndarray of shape (F,)
    conv_param : dict
        ``'stride'`` and ``'pad'``.

    Returns
    -------
    out : ndarray of shape (N, F, H_out, W_out)
    cache : tuple
        ``(conv_cache, relu_cache)``.
    """
    # YOUR CODE HERE
    raise NotImplementedError("conv_relu_forward: not implemented yet")
    return out, cache


def conv_relu_backward(dout, cache):
    """Backward pass of :func:`conv_relu_forward`.

    Parameters
    ----------
    dout : ndarray of shape (N, F, H_out, W_out)
    cache : tuple

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    dw : ndarray of shape (F, C, HH, WW)
    db : ndarray of shape (F,)
    """
    # YOUR CODE HERE
    raise NotImplementedError("conv_relu_backward: not implemented yet")
    return dx, dw, db


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    """Convolution, ReLU, then max pooling.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    w : ndarray of shape (F, C, HH, WW)
    b : ndarray of shape (F,)
    conv_param : dict
        ``'stride'`` and ``'pad'``.
    pool_param : dict
        ``'pool_height'``, ``'pool_width'`` and ``'stride'``.

    Returns
    -------
    out : ndarray of shape (N, F, H_pool, W_pool)
    cache : tuple
        ``(conv_cache, relu_cache, pool_cache)``.
    """
    # YOUR CODE HERE
    raise NotImplementedError("conv_relu_pool_forward: not implemented yet")
    return out, cache


def conv_relu_pool_backward(dout, cache):
    """Backward pass of :func:`conv_relu_pool_forward`.

    Parameters
    ----------
    dout : ndarray of shape (N, F, H_pool, W_pool)
    cache : tuple

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    dw : ndarray of shape (F, C, HH, WW)
    db : ndarray of shape (F,)
    """
    # YOUR CODE HERE
    raise NotImplementedError("conv_relu_pool_backward: not implemented yet")
    return dx, dw, db
