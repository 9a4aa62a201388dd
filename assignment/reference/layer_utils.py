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
    ### BEGIN SOLUTION
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    cache = (fc_cache, relu_cache)
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    out, relu_cache = relu_forward(a)
    cache = (conv_cache, relu_cache)
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    conv_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    s, relu_cache = relu_forward(a)
    out, pool_cache = max_pool_forward_fast(s, pool_param)
    cache = (conv_cache, relu_cache, pool_cache)
    ### END SOLUTION
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
    ### BEGIN SOLUTION
    conv_cache, relu_cache, pool_cache = cache
    ds = max_pool_backward_fast(dout, pool_cache)
    da = relu_backward(ds, relu_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    ### END SOLUTION
    return dx, dw, db
