"""Stage 4: score every pair of documents from the index, rank them, group clusters.

A pair's score (0..1) is the larger of two views of the same evidence:

- *whole*: the share of the two documents' distinctive code they hold in common,
  ``2 |A & B| / (|A| + |B|)`` over kept fingerprints (Dolos's similarity);
- *function*: the largest share of one function's distinctive code found anywhere in the
  other document, over functions with at least ``min_unit_fingerprints`` kept
  fingerprints. A copy of one or two functions inside otherwise own work scores high here
  while it is diluted in the whole, and a copy split into helpers is still found because
  the other side is searched whole.

Pairs inside one archive (an earlier term with itself) are not scored; the reference is
scored against submissions only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .config import Config
from .index import Index


@dataclass
class FunctionOverlap:
    """How much of one function of one side is found in the other document.

    Attributes
    ----------
    side : str
        ``"a"`` or ``"b"``.
    unit : int
        Index of the unit in :attr:`Index.units`.
    name : str
        ``"module.function"``.
    size : int
        Kept fingerprints of the function.
    shared : int
        How many of them the other document holds.
    """

    side: str
    unit: int
    name: str
    size: int
    shared: int

    @property
    def overlap(self):
        """Share of the function found in the other document (0..1)."""
        return self.shared / self.size if self.size else 0.0


@dataclass
class Pair:
    """One scored pair of documents (indices into :attr:`Index.docs`).

    Attributes
    ----------
    a, b : int
    score, whole, function : float
        Final score and its two views (see the module docstring).
    shared : int
        Kept fingerprints found in both.
    size_a, size_b : int
        Kept fingerprints of each document.
    functions : list of FunctionOverlap
        Functions of either side with any overlap, largest overlap first.
    """

    a: int
    b: int
    score: float
    whole: float
    function: float
    shared: int
    size_a: int
    size_b: int
    functions: list = field(default_factory=list)


def _comparable(docs):
    """``ndarray of bool, shape (n, n)``: which pairs are scored (upper triangle only)."""
    kinds = np.array([d.kind for d in docs])
    groups = np.array([d.name.split("/", 1)[0] if d.kind == "archive" else "" for d in docs])
    ok = np.triu(np.ones((len(docs), len(docs)), dtype=bool), k=1)
    sub = kinds == "submission"
    ok &= sub[:, None] | sub[None, :]  # reference/archive only against the class
    ok &= ~((kinds[:, None] == "archive") & (kinds[None, :] == "archive")
            & (groups[:, None] == groups[None, :]))
    return ok


def score_all(index: Index, config: Config):
    """Score every comparable pair.

    Returns
    -------
    score, whole, function : ndarray of float, shape (n, n)
        Symmetric; 0 for pairs that are not compared.
    shared : ndarray of int, shape (n, n)
    """
    n = len(index.docs)
    d = index.doc_matrix
    shared = (d @ d.T).toarray().astype(np.int64)
    sizes = index.doc_sizes().astype(float)
    denom = sizes[:, None] + sizes[None, :]
    whole = np.divide(2 * shared, denom, out=np.zeros((n, n)), where=denom > 0)
    usize = index.unit_sizes().astype(float)
    big = usize >= config.min_unit_fingerprints
    ud = (index.unit_matrix[big] @ d.T).tocoo()  # (big units, n): unit's fps in doc
    func = np.zeros((n, n))
    owners = index.unit_doc[big][ud.row]
    np.maximum.at(func, (owners, ud.col), ud.data / usize[big][ud.row])
    np.fill_diagonal(func, 0.0)
    func = np.maximum(func, func.T)
    np.fill_diagonal(whole, 0.0)
    ok = _comparable(index.docs)
    ok = ok | ok.T
    score = np.where(ok, np.maximum(whole, func), 0.0)
    return score, np.where(ok, whole, 0.0), np.where(ok, func, 0.0), shared


def function_overlaps(index: Index, a: int, b: int):
    """Per-function overlap of a pair, both directions, largest first.

    Returns
    -------
    list of FunctionOverlap
    """
    out = []
    for side, this, other in (("a", a, b), ("b", b, a)):
        rows = np.flatnonzero(index.unit_doc == this)
        if len(rows) == 0:
            continue
        hits = np.asarray(index.unit_matrix[rows] @ index.doc_matrix[other].T.toarray()).ravel()
        sizes = np.asarray(index.unit_matrix[rows].sum(axis=1)).ravel()
        for r, s, h in zip(rows, sizes, hits):
            if h > 0:
                out.append(FunctionOverlap(side, int(r), index.units[r].key, int(s), int(h)))
    out.sort(key=lambda f: (-f.overlap, -f.size, f.side, f.name))
    return out


def ranked_pairs(index: Index, config: Config, floor: float = 0.0):
    """All compared pairs scoring above ``floor``, highest first (ties by names).

    Returns
    -------
    list of Pair
        With :attr:`Pair.functions` filled in.
    """
    score, whole, func, shared = score_all(index, config)
    sizes = index.doc_sizes()
    a_idx, b_idx = np.nonzero(np.triu(score > floor, k=1))
    names = [d.name for d in index.docs]
    order = sorted(range(len(a_idx)), key=lambda i: (-score[a_idx[i], b_idx[i]],
                                                     names[a_idx[i]], names[b_idx[i]]))
    out = []
    for i in order:
        a, b = int(a_idx[i]), int(b_idx[i])
        out.append(Pair(a, b, float(score[a, b]), float(whole[a, b]), float(func[a, b]),
                        int(shared[a, b]), int(sizes[a]), int(sizes[b]),
                        function_overlaps(index, a, b)))
    return out


def clusters(pairs, threshold, n):
    """Groups of three or more documents linked by pairs scoring at least ``threshold``.

    Parameters
    ----------
    pairs : list of Pair
    threshold : float
    n : int
        Number of documents.

    Returns
    -------
    list of list of int
        Document indices, each group sorted, largest group first.
    """
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        if p.score >= threshold:
            parent[find(p.a)] = find(p.b)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    big = [sorted(g) for g in groups.values() if len(g) >= 3]
    return sorted(big, key=lambda g: (-len(g), g))
