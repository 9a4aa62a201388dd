"""Fast convolution and max-pooling layers with the naive layers' exact API.

``conv_forward_fast``, ``conv_backward_fast``, ``max_pool_forward_fast`` and
``max_pool_backward_fast`` take and return what the naive ``*_naive`` layers do (caches
are opaque: pass them back unchanged). float32 stays float32, float64 stays float64.

They run on the compiled ``im2col_cython`` extension (build it with ``make build`` or
``python setup.py build_ext --inplace``). Without it they fall back to pure numpy and warn
once (:class:`FastLayersNotCompiledWarning`); ``ASSIGNMENT_FAST_BACKEND=numpy`` or
``=cython`` forces a backend. ``BACKEND`` names the one in use.
"""

from types import SimpleNamespace

from . import layers as _layers
from ._backend import ENV_VAR, FastLayersNotCompiledWarning, load_kernels, selected_backend

__all__ = [
    "conv_forward_fast",
    "conv_backward_fast",
    "max_pool_forward_fast",
    "max_pool_backward_fast",
    "BACKEND",
    "ENV_VAR",
    "FastLayersNotCompiledWarning",
    "layers_for",
]

_KERNELS, BACKEND = selected_backend()


def conv_forward_fast(x, w, b, conv_param):
    """Forward pass of a convolutional layer (direct kernels for stride 1, else im2col + GEMM).

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
        Input images.
    w : ndarray of shape (F, C, HH, WW)
        Filter weights.
    b : ndarray of shape (F,)
        Biases.
    conv_param : dict
        ``'stride'`` and ``'pad'`` (zeros on each side of height and width).

    Returns
    -------
    out : ndarray of shape (N, F, H_out, W_out)
        ``H_out = 1 + (H + 2 * pad - HH) // stride``, likewise ``W_out``; dtype float32
        when the inputs are, else float64.
    cache : tuple
        ``(x, w, b, conv_param)``, for :func:`conv_backward_fast`.

    Raises
    ------
    ValueError
        When the padded input does not divide into windows at the given stride.
    """
    return _layers.conv_forward(_KERNELS, x, w, b, conv_param)


def conv_backward_fast(dout, cache):
    """Backward pass of a convolutional layer.

    Parameters
    ----------
    dout : ndarray of shape (N, F, H_out, W_out)
        Upstream gradient.
    cache : tuple
        As returned by :func:`conv_forward_fast`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    dw : ndarray of shape (F, C, HH, WW)
    db : ndarray of shape (F,)
    """
    return _layers.conv_backward(_KERNELS, dout, cache)


def max_pool_forward_fast(x, pool_param):
    """Forward pass of a max-pooling layer; windows may overlap or not tile the input.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    pool_param : dict
        ``'pool_height'``, ``'pool_width'`` and ``'stride'``.

    Returns
    -------
    out : ndarray of shape (N, C, H_out, W_out)
        ``H_out = 1 + (H - pool_height) // stride``, likewise ``W_out``.
    cache : tuple
        ``(x, pool_param, argmax)``, for :func:`max_pool_backward_fast`.

    Raises
    ------
    ValueError
        When the windows do not fit the input at the given stride.
    """
    return _layers.max_pool_forward(_KERNELS, x, pool_param)


def max_pool_backward_fast(dout, cache):
    """Backward pass of a max-pooling layer: each window's gradient goes to its (first)
    maximum and accumulates where windows overlap.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H_out, W_out)
    cache : tuple
        As returned by :func:`max_pool_forward_fast`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    """
    return _layers.max_pool_backward(_KERNELS, dout, cache)


def layers_for(backend):
    """The four layers bound to one backend, ``'cython'`` or ``'numpy'`` (tests, bench).

    Returns
    -------
    types.SimpleNamespace
        ``conv_forward_fast``, ``conv_backward_fast``, ``max_pool_forward_fast``,
        ``max_pool_backward_fast`` and ``backend``.

    Raises
    ------
    ImportError
        ``'cython'`` when the extension is not built.
    """
    kernels, name = load_kernels(backend)
    return SimpleNamespace(
        backend=name,
        conv_forward_fast=lambda x, w, b, p: _layers.conv_forward(kernels, x, w, b, p),
        conv_backward_fast=lambda dout, cache: _layers.conv_backward(kernels, dout, cache),
        max_pool_forward_fast=lambda x, p: _layers.max_pool_forward(kernels, x, p),
        max_pool_backward_fast=lambda dout, cache: _layers.max_pool_backward(
            kernels, dout, cache
        ),
    )
