"""Stage 4: score every pair of documents from the index, rank them, group clusters.

A pair's score (0..1) is its *whole* similarity: the share of the two documents'
distinctive code they hold in common, ``2 |A & B| / (|A| + |B|)`` over kept fingerprints as
in Dolos, except that every fingerprint weighs ``1 / (d - 1)`` when d documents hold it
(:meth:`Index.weights`): what only these two share is evidence, what several students
wrote alike is less.

Beside it, the *function* view: the largest weighted share of one function's fingerprints
found anywhere in the other document, its denominator at least ``min_unit_mass`` so that
a short or commonplace function cannot reach 1 alone. It points at a copy of one or two
functions inside otherwise own work, and at code moved into helpers (the other side is
searched whole). On the benchmark it is too noisy to rank by (two independent students
write one short function alike often enough), so it is shown, not scored.

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


@dataclass
class Scores:
    """Every pair's scores, as n x n matrices (symmetric, 0 where not compared).

    Attributes
    ----------
    score, whole, function : ndarray of float, shape (n, n)
    shared : ndarray of int, shape (n, n)
        Kept fingerprints held by both.
    unit_hits : scipy.sparse.csr_matrix of shape (M, n)
        How many of unit m's kept fingerprints document j holds (sparse: with archives
        of several terms, M x n would not fit in memory dense).
    unit_sizes : ndarray of int, shape (M,)
    """

    score: np.ndarray
    whole: np.ndarray
    function: np.ndarray
    shared: np.ndarray
    unit_hits: object
    unit_sizes: np.ndarray


def score_all(index: Index, config: Config) -> Scores:
    """Score every comparable pair (see the module docstring)."""
    n = len(index.docs)
    d = index.doc_matrix
    shared = (d @ d.T).toarray().astype(np.int64)
    weights = index.weights()
    dw = d.multiply(weights[None, :]).tocsr()
    shared_w = (dw @ d.T).toarray()
    mass = np.asarray(dw.sum(axis=1)).ravel()
    denom = mass[:, None] + mass[None, :]
    whole = np.divide(2 * shared_w, denom, out=np.zeros((n, n)), where=denom > 0)
    umass = np.asarray(index.unit_matrix @ weights).ravel()
    ud = (index.unit_matrix @ dw.T).tocoo()  # (M, n): unit's weighted fps in each doc
    func = np.zeros((n, n))
    owners = index.unit_doc[ud.row]
    scale = np.maximum(umass, config.min_unit_mass)
    np.maximum.at(func, (owners, ud.col), ud.data / scale[ud.row])
    np.fill_diagonal(func, 0.0)
    func = np.maximum(func, func.T)
    np.fill_diagonal(whole, 0.0)
    ok = _comparable(index.docs)
    ok = ok | ok.T
    hits = (index.unit_matrix @ d.T).tocsr()
    return Scores(np.where(ok, whole, 0.0), np.where(ok, whole, 0.0),
                  np.where(ok, func, 0.0), shared, hits, index.unit_sizes())


def function_overlaps(index: Index, scores: Scores, a: int, b: int):
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
        # a document's units are consecutive rows
        block = scores.unit_hits[rows[0]: rows[-1] + 1][:, other].toarray().ravel()
        for r, h in zip(rows, block):
            if h > 0:
                out.append(FunctionOverlap(side, int(r), index.units[r].key,
                                           int(scores.unit_sizes[r]), int(h)))
    out.sort(key=lambda f: (-f.overlap, -f.size, f.side, f.name))
    return out


def ranked_pairs(index: Index, scores: Scores, floor: float = 0.0):
    """All compared pairs scoring above ``floor``, highest first (ties by names).

    Returns
    -------
    list of Pair
        :attr:`Pair.functions` is left empty; :func:`function_overlaps` fills it.
    """
    score = scores.score
    sizes = index.doc_sizes()
    a_idx, b_idx = np.nonzero(np.triu(score > floor, k=1))
    names = [d.name for d in index.docs]
    order = sorted(range(len(a_idx)), key=lambda i: (-score[a_idx[i], b_idx[i]],
                                                     names[a_idx[i]], names[b_idx[i]]))
    out = []
    for i in order:
        a, b = int(a_idx[i]), int(b_idx[i])
        out.append(Pair(a, b, float(score[a, b]), float(scores.whole[a, b]),
                        float(scores.function[a, b]), int(scores.shared[a, b]),
                        int(sizes[a]), int(sizes[b])))
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
