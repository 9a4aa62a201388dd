"""Stage 2: normalised tokens -> winnowed fingerprints (Schleimer, Wilkerson, Aiken 2003).

Every run of ``k`` consecutive tokens is hashed; in each window of ``w`` consecutive hashes
the smallest is kept. Any copied run of at least ``k + w - 1`` tokens is then guaranteed to
share a fingerprint with its source, while a file keeps only about ``2 / (w + 1)`` of its
hashes. Hashes are computed per unit, so they never straddle two functions.

Hashes are stable across processes and runs (crc32 of each token, then a polynomial over
the k-gram in uint64 arithmetic), so an archive of an earlier term fingerprints the same.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

_BASE = np.uint64(1_000_003)
_token_ids: dict[str, int] = {}


@dataclass
class Fingerprints:
    """The fingerprints of one unit.

    Attributes
    ----------
    hashes : ndarray of uint64, shape (P,)
        Winnowed k-gram hashes, in token order (a hash may repeat).
    starts : ndarray of int64, shape (P,)
        Index of each fingerprint's first token in the unit; it covers tokens
        ``starts[p] : starts[p] + k``.
    """

    hashes: np.ndarray
    starts: np.ndarray


def token_ids(tokens):
    """``ndarray of uint64, shape (T,)``: a stable id per token text."""
    ids = np.empty(len(tokens), dtype=np.uint64)
    for i, t in enumerate(tokens):
        v = _token_ids.get(t)
        if v is None:
            v = _token_ids[t] = zlib.crc32(t.encode("utf-8", "replace")) | 1
        ids[i] = v
    return ids


def kgram_hashes(ids, k):
    """Hash of every k-gram.

    Parameters
    ----------
    ids : ndarray of uint64, shape (T,)
    k : int

    Returns
    -------
    ndarray of uint64, shape (max(T - k + 1, 0),)
    """
    n = len(ids) - k + 1
    if n <= 0:
        return np.empty(0, dtype=np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(k):
            h = h * _BASE + ids[i : i + n]
        # spread the bits so that the window minimum is not biased by the last token
        h ^= h >> np.uint64(29)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(32)
    return h


def winnow(tokens, k, w):
    """Winnowed fingerprints of one unit's tokens.

    Parameters
    ----------
    tokens : list of str
        Normalised tokens (:attr:`Unit.tokens`).
    k : int
        Tokens per k-gram (noise threshold: shorter matches are never seen).
    w : int
        Window of k-grams (a match of ``k + w - 1`` tokens is always seen).

    Returns
    -------
    Fingerprints
        A unit shorter than ``k`` tokens has none; one shorter than a window keeps its
        smallest hash.
    """
    h = kgram_hashes(token_ids(tokens), k)
    if len(h) == 0:
        return Fingerprints(h, np.empty(0, dtype=np.int64))
    if len(h) < w:
        pos = np.array([int(np.argmin(h))])
    else:
        win = sliding_window_view(h, w)
        # rightmost minimum of each window (as in the paper), then each position once
        pos = w - 1 - np.argmin(win[:, ::-1], axis=1) + np.arange(len(win))
        pos = np.unique(pos)
    return Fingerprints(h[pos], pos.astype(np.int64))
