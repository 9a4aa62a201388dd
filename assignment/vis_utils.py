"""Arrange many small images (such as first-layer filters) into one grid image."""

import numpy as np


def visualize_grid(Xs, ubound=255.0, padding=1):
    """Tile a batch of images into a grid, each rescaled to ``[0, ubound]``.

    Parameters
    ----------
    Xs : ndarray of shape (N, H, W, C)
        Images, channels last (transpose conv filters ``(F, C, H, W)`` first).
    ubound : float
        Upper bound of every rescaled image.
    padding : int
        Blank pixels between neighbouring images.

    Returns
    -------
    grid : ndarray of shape (G*(H+padding)-padding, G*(W+padding)-padding, C)
        With ``G = ceil(sqrt(N))``.
    """
    N, H, W, C = Xs.shape
    side = int(np.ceil(np.sqrt(N)))
    grid = np.zeros((side * (H + padding) - padding, side * (W + padding) - padding, C))
    for k in range(N):
        row, col = divmod(k, side)
        img = Xs[k].astype(np.float64)
        low, high = img.min(), img.max()
        scale = ubound / (high - low) if high > low else 0.0
        y0, x0 = row * (H + padding), col * (W + padding)
        grid[y0 : y0 + H, x0 : x0 + W] = (img - low) * scale
    return grid
