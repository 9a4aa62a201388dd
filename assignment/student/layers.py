"""Fully connected layers, activations, normalisation, dropout and loss functions.

Contract: ``*_forward(...) -> (out, cache)``, ``*_backward(dout, cache) -> gradients``.
"""

import numpy as np


def affine_forward(x, w, b):
    """Forward pass of a fully connected (affine) layer.

    Parameters
    ----------
    x : ndarray of shape (N, d_1, ..., d_k)
        A minibatch of N examples; each is flattened to D = d_1 * ... * d_k values.
    w : ndarray of shape (D, M)
    b : ndarray of shape (M,)

    Returns
    -------
    out : ndarray of shape (N, M)
    cache : tuple
        ``(x, w, b)``.
    """
    out = None
    # YOUR CODE HERE
    raise NotImplementedError("affine_forward: not implemented yet")
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """Backward pass of a fully connected (affine) layer.

    Parameters
    ----------
    dout : ndarray of shape (N, M)
    cache : tuple
        ``(x, w, b)`` with x of shape (N, d_1, ..., d_k), w (D, M), b (M,).

    Returns
    -------
    dx : ndarray of shape (N, d_1, ..., d_k)
    dw : ndarray of shape (D, M)
    db : ndarray of shape (M,)
    """
    dx, dw, db = None, None, None
    # YOUR CODE HERE
    raise NotImplementedError("affine_backward: not implemented yet")
    return dx, dw, db


def relu_forward(x):
    """Forward pass of a rectified linear unit.

    Parameters
    ----------
    x : ndarray of any shape

    Returns
    -------
    out : ndarray, same shape as x
    cache : ndarray
        x itself.
    """
    out = None
    # YOUR CODE HERE
    raise NotImplementedError("relu_forward: not implemented yet")
    cache = x
    return out, cache


def relu_backward(dout, cache):
    """Backward pass of a rectified linear unit.

    Parameters
    ----------
    dout : ndarray of any shape
    cache : ndarray
        The input x of the forward pass, same shape as dout.

    Returns
    -------
    dx : ndarray, same shape as dout
    """
    dx = None
    # YOUR CODE HERE
    raise NotImplementedError("relu_backward: not implemented yet")
    return dx


def batchnorm_forward(x, gamma, beta, bn_param):
    """Forward pass of batch normalisation.

    In train mode the batch mean and variance normalise the data and update exponential
    running averages ``running = momentum * running + (1 - momentum) * batch``, which are
    written back into ``bn_param``; test mode normalises with the running averages.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    gamma : ndarray of shape (D,)
        Scale.
    beta : ndarray of shape (D,)
        Shift.
    bn_param : dict
        ``'mode'``: ``'train'`` or ``'test'`` (required); ``'eps'`` (default 1e-5);
        ``'momentum'`` (default 0.9); ``'running_mean'``, ``'running_var'`` of shape (D,)
        (zeros when absent).

    Returns
    -------
    out : ndarray of shape (N, D)
    cache : tuple
        In train mode ``(x_hat, gamma, inv_std)``; ``None`` in test mode.

    Raises
    ------
    ValueError
        When ``bn_param['mode']`` is neither ``'train'`` nor ``'test'``.
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == "train":
        # YOUR CODE HERE
        raise NotImplementedError("batchnorm_forward: not implemented yet")
    elif mode == "test":
        # YOUR CODE HERE
        raise NotImplementedError("batchnorm_forward: not implemented yet")
    else:
        raise ValueError(f"Invalid forward batchnorm mode {mode!r}: use 'train' or 'test'")

    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    """Backward pass of batch normalisation (train mode).

    Parameters
    ----------
    dout : ndarray of shape (N, D)
    cache : tuple
        As returned by :func:`batchnorm_forward` in train mode.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dgamma : ndarray of shape (D,)
    dbeta : ndarray of shape (D,)
    """
    dx, dgamma, dbeta = None, None, None
    # YOUR CODE HERE
    raise NotImplementedError("batchnorm_backward: not implemented yet")
    return dx, dgamma, dbeta


def dropout_forward(x, dropout_param):
    """Forward pass of inverted dropout.

    Parameters
    ----------
    x : ndarray of any shape
    dropout_param : dict
        ``'p'``: probability of KEEPING each unit; ``'mode'``: ``'train'`` or ``'test'``;
        ``'seed'`` (optional): seeds the mask so the pass is deterministic.

    Returns
    -------
    out : ndarray, same shape as x
        Train mode: ``x * mask / p`` with ``mask ~ Bernoulli(p)``; test mode: x unchanged.
    cache : tuple
        ``(dropout_param, mask)``; mask is None in test mode.
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])

    mask, out = None, None
    if mode == "train":
        # YOUR CODE HERE
        raise NotImplementedError("dropout_forward: not implemented yet")
    elif mode == "test":
        # YOUR CODE HERE
        raise NotImplementedError("dropout_forward: not implemented yet")
    else:
        raise ValueError(f"Invalid dropout mode {mode!r}: use 'train' or 'test'")

    cache = (dropout_param, mask)
    return out, cache


def dropout_backward(dout, cache):
    """Backward pass of inverted dropout.

    Parameters
    ----------
    dout : ndarray of any shape
    cache : tuple
        ``(dropout_param, mask)`` from :func:`dropout_forward`.

    Returns
    -------
    dx : ndarray, same shape as dout
    """
    dropout_param, mask = cache
    mode = dropout_param["mode"]

    dx = None
    if mode == "train":
        # YOUR CODE HERE
        raise NotImplementedError("dropout_backward: not implemented yet")
    elif mode == "test":
        dx = dout
    return dx


def svm_loss(x, y):
    """Multiclass SVM (hinge) loss and its gradient.

    Parameters
    ----------
    x : ndarray of shape (N, C)
        Class scores; ``x[i, j]`` is the score of class j for example i.
    y : ndarray of shape (N,)
        Labels, ``0 <= y[i] < C``.

    Returns
    -------
    loss : float
    dx : ndarray of shape (N, C)
    """
    loss, dx = None, None
    # YOUR CODE HERE
    raise NotImplementedError("svm_loss: not implemented yet")
    return loss, dx


def softmax_loss(x, y):
    """Softmax cross-entropy loss and its gradient, numerically stable.

    Parameters
    ----------
    x : ndarray of shape (N, C)
        Class scores.
    y : ndarray of shape (N,)
        Labels, ``0 <= y[i] < C``.

    Returns
    -------
    loss : float
    dx : ndarray of shape (N, C)
    """
    loss, dx = None, None
    # YOUR CODE HERE
    raise NotImplementedError("softmax_loss: not implemented yet")
    return loss, dx
