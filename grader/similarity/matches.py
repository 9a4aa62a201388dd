"""Where two documents match: the lines to highlight in a side-by-side view.

A kept fingerprint covers ``k`` normalised tokens; every source line holding one of those
tokens, for a fingerprint the other document also holds, is a matching line.
"""

from __future__ import annotations

import numpy as np

from .index import Index


def doc_hashes(index: Index, doc: int):
    """``ndarray of uint64``: the kept fingerprints of a document (sorted, unique)."""
    rows = np.flatnonzero(index.unit_doc == doc)
    if len(rows) == 0:
        return np.empty(0, np.uint64)
    return np.unique(np.concatenate([index.unit_hashes[r] for r in rows]))


def matching_lines(index: Index, unit: int, other: np.ndarray, k: int):
    """Source lines of ``unit`` covered by fingerprints found in ``other``.

    Parameters
    ----------
    index : Index
    unit : int
        Row of the unit in the index.
    other : ndarray of uint64
        Kept fingerprints of the other document (:func:`doc_hashes`).
    k : int
        Tokens per fingerprint.

    Returns
    -------
    set of int
        1-based line numbers in the unit's file.
    """
    hashes, starts = index.unit_hashes[unit], index.unit_starts[unit]
    lines = index.units[unit].lines
    out = set()
    for s in starts[np.isin(hashes, other)]:
        out.update(lines[int(s): int(s) + k])
    return out


def best_counterpart(index: Index, unit: int, doc: int):
    """The unit of ``doc`` sharing most kept fingerprints with ``unit``, or None."""
    mine = index.unit_hashes[unit]
    best, best_n = None, 0
    for r in np.flatnonzero(index.unit_doc == doc):
        n = int(np.isin(index.unit_hashes[r], mine).sum())
        if n > best_n:
            best, best_n = int(r), n
    return best
