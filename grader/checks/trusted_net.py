"""The grader's own forward pass of the three-layer ConvNet, from the weights alone.

Written from the definitions, independently of the reference, so that the checks that
train the student's network (``three_layer_convnet.overfit``, ``three_layer_convnet.train``)
judge the weights the student's gradients produced, not the answers the student's model
chose to give.
"""

import numpy as np


def trusted_scores(params, X, dtype=np.float64, chunk: int = 25):
    """Class scores of conv - relu - 2x2 max pool - affine - relu - affine, computed by the
    grader from the weights (any odd filter size, "same" padding, stride 1).

    Parameters
    ----------
    params : dict
        ``W1`` (F, C, HH, WW), ``b1`` (F,), ``W2`` (F*H/2*W/2, D), ``b2`` (D,), ``W3``
        (D, K), ``b3`` (K,), as the student's model holds them.
    X : ndarray of shape (N, C, H, W)
    dtype : numpy dtype
        Precision of the computation (float64 for exact comparisons, float32 for speed).
    chunk : int
        Images per im2col block (bounds the memory of the unfolded windows).

    Returns
    -------
    ndarray of shape (N, K)

    Raises ``ValueError``/``KeyError`` on parameters that do not fit that network.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    p = {k: np.asarray(params[k], dtype=dtype) for k in
         ("W1", "b1", "W2", "b2", "W3", "b3")}
    W1 = p["W1"]
    if W1.ndim != 4 or W1.shape[1] != X.shape[1] or W1.shape[2] % 2 == 0:
        raise ValueError(f"W1 has shape {W1.shape}")
    F, _, HH, WW = W1.shape
    pad_h, pad_w = (HH - 1) // 2, (WW - 1) // 2
    w = W1.reshape(F, -1).T
    out = []
    for start in range(0, len(X), chunk):
        x = np.pad(X[start:start + chunk].astype(dtype),
                   ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)))
        win = sliding_window_view(x, (HH, WW), axis=(2, 3))  # n, C, H, W, HH, WW
        n, C, H, W = win.shape[:4]
        cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * H * W, C * HH * WW)
        a = np.maximum((cols @ w).reshape(n, H, W, F).transpose(0, 3, 1, 2)
                       + p["b1"][None, :, None, None], 0)
        pooled = a.reshape(n, F, H // 2, 2, W // 2, 2).max(axis=(3, 5)).reshape(n, -1)
        hidden = np.maximum(pooled @ p["W2"] + p["b2"], 0)
        out.append(hidden @ p["W3"] + p["b3"])
    return np.concatenate(out)
