"""Numerical gradients by centred differences, and the relative error used everywhere.

Provided to students complete.
"""

import numpy as np


def rel_error(x, y):
    """Largest elementwise relative error ``|x - y| / max(1e-8, |x| + |y|)``.

    Parameters
    ----------
    x, y : array_like of the same shape

    Returns
    -------
    float
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """Numerical gradient of a scalar function at x.

    Parameters
    ----------
    f : callable
        Takes one array of the shape of x and returns a scalar.
    x : ndarray
        The point; modified during evaluation and restored afterwards.
    verbose : bool
        Print each coordinate's gradient.
    h : float
        Step of the centred difference.

    Returns
    -------
    grad : ndarray, same shape as x
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)
        x[ix] = old - h
        fxmh = f(x)
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * h)
        if verbose:
            print(ix, grad[ix])
        it.iternext()
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Numerical gradient of an array-valued function contracted with an upstream gradient.

    Parameters
    ----------
    f : callable
        Takes one array of the shape of x and returns an array of the shape of df.
    x : ndarray
        The point; modified during evaluation and restored afterwards.
    df : ndarray
        Upstream gradient, same shape as ``f(x)``.
    h : float
        Step of the centred difference.

    Returns
    -------
    grad : ndarray, same shape as x
        ``sum(df * d f(x) / d x[i])`` for every index i.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        pos = np.array(f(x), copy=True)
        x[ix] = old - h
        neg = np.array(f(x), copy=True)
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None):
    """Compare an analytic gradient with centred differences at a few random coordinates.

    Parameters
    ----------
    f : callable
        Takes one array of the shape of x and returns a scalar.
    x : ndarray
    analytic_grad : ndarray, same shape as x
    num_checks : int
        Coordinates to sample.
    h : float
        Step of the centred difference.
    seed : int, optional
        Seeds the coordinate choice (a local generator; the global one is untouched).

    Returns
    -------
    errors : list of float
        The relative error at each sampled coordinate (also printed).
    """
    rng = np.random.default_rng(seed)
    errors = []
    for _ in range(num_checks):
        ix = tuple(int(rng.integers(m)) for m in x.shape)
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)
        x[ix] = old - h
        fxmh = f(x)
        x[ix] = old
        numeric = (fxph - fxmh) / (2 * h)
        analytic = analytic_grad[ix]
        err = abs(numeric - analytic) / max(1e-12, abs(numeric) + abs(analytic))
        errors.append(float(err))
        print(f"numerical: {numeric:f} analytic: {analytic:f}, relative error: {err:e}")
    return errors
