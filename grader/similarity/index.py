"""Stage 3: the fingerprint index, and what in it counts.

Every unit of every document is winnowed (:mod:`.fingerprints`). A fingerprint counts for
nothing when it is also found in the code handed out (skeleton, provided modules), or when
it is *common*: present in more than ``max(common_min_files, common_share * n)`` of the n
documents of the class and the archives, like MOSS's "ignore matches that appear in more
than N files". What remains is what students wrote that few others wrote, and only that
is compared.

The index is a pair of sparse 0/1 matrices over the kept fingerprints: one row per
document and one row per unit; their products give every pair's shared fingerprints and
every function's overlap with every other document in one step each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

try:
    from scipy import sparse
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError("the similarity report needs scipy: pip install -e '.[scale]' "
                      "(or pip install scipy), or run grader batch --no-similarity") from exc

from .config import Config
from .fingerprints import winnow


@dataclass
class Index:
    """Fingerprints of n documents with M units in all.

    Attributes
    ----------
    docs : list of Document
        Length n.
    unit_doc : ndarray of int64, shape (M,)
        Document of each unit.
    units : list of Unit
        Length M, in document order.
    unit_hashes : list of ndarray of uint64
        Kept fingerprints of each unit (ignored ones removed), in token order.
    unit_starts : list of ndarray of int64
        First token of each kept fingerprint.
    doc_matrix : scipy.sparse.csr_matrix of shape (n, P)
        1 where a document holds kept fingerprint p.
    unit_matrix : scipy.sparse.csr_matrix of shape (M, P)
        1 where a unit holds kept fingerprint p.
    doc_freq : ndarray of int, shape (P,)
        How many documents hold each kept fingerprint (the reference included).
    ignored_given, ignored_common : int
        Distinct fingerprints dropped as handed out, and as shared by too many documents.
    common_limit : int
        A fingerprint in more documents than this was dropped as common.
    """

    docs: list
    unit_doc: np.ndarray
    units: list
    unit_hashes: list
    unit_starts: list
    doc_matrix: sparse.csr_matrix
    unit_matrix: sparse.csr_matrix
    doc_freq: np.ndarray
    ignored_given: int
    ignored_common: int
    common_limit: int

    def doc_sizes(self):
        """``ndarray of int, shape (n,)``: kept distinct fingerprints per document."""
        return np.asarray(self.doc_matrix.sum(axis=1)).ravel()

    def weights(self):
        """``ndarray of float, shape (P,)``: what one shared fingerprint is worth to a pair.

        ``1 / (d - 1)`` for a fingerprint held by d documents: 1 when only the two hold it,
        less when others wrote it too, so code that several students arrived at alone
        weighs less than code only two of them share.
        """
        return 1.0 / np.maximum(1, self.doc_freq - 1)

    def unit_sizes(self):
        """``ndarray of int, shape (M,)``: kept distinct fingerprints per unit."""
        return np.asarray(self.unit_matrix.sum(axis=1)).ravel()


def given_hashes(given_units, config: Config):
    """``set of int``: every fingerprint of the code handed out (all k-grams, not winnowed).

    All k-grams, so that no handed-out run can survive as a fingerprint of a student.
    """
    from .fingerprints import kgram_hashes, token_ids

    out = set()
    for u in given_units:
        out.update(kgram_hashes(token_ids(u.tokens), config.k).tolist())
    return out


def build(docs, given: set, config: Config) -> Index:
    """Winnow every document and keep the fingerprints that count.

    Parameters
    ----------
    docs : list of Document
    given : set of int
        Fingerprints of the handed-out code (:func:`given_hashes`).
    config : Config

    Returns
    -------
    Index
    """
    unit_doc, units, raw = [], [], []
    for d, doc in enumerate(docs):
        for u in doc.units:
            fp = winnow(u.tokens, config.k, config.w)
            unit_doc.append(d)
            units.append(u)
            raw.append(fp)
    given_arr = np.fromiter(given, dtype=np.uint64, count=len(given))
    # document frequency over the class and the archives (not the reference)
    counted = np.array([doc.kind != "reference" for doc in docs], dtype=bool)
    per_doc: dict[int, list] = {}
    for d, fp in zip(unit_doc, raw):
        per_doc.setdefault(d, []).append(fp.hashes)
    all_h = [np.unique(np.concatenate(h)) for d, h in per_doc.items() if counted[d]]
    allh = np.concatenate(all_h) if all_h else np.empty(0, np.uint64)
    uniq, df = np.unique(allh, return_counts=True)
    n = int(counted.sum())
    limit = max(config.common_min_files, int(config.common_share * n))
    common = uniq[df > limit]
    given_seen = np.intersect1d(uniq, given_arr)
    drop = np.union1d(common, given_arr)
    # one pass over all units at once: drop, then map every kept hash to its column
    lengths = np.array([len(fp.hashes) for fp in raw], dtype=np.int64)
    flat = np.concatenate([fp.hashes for fp in raw]) if raw else np.empty(0, np.uint64)
    flat_starts = np.concatenate([fp.starts for fp in raw]) if raw else np.empty(0, np.int64)
    keep = ~np.isin(flat, drop)
    owner = np.repeat(np.arange(len(raw)), lengths)[keep]
    flat, flat_starts = flat[keep], flat_starts[keep]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=len(raw)))])
    hashes = [flat[bounds[i]:bounds[i + 1]] for i in range(len(raw))]
    starts = [flat_starts[bounds[i]:bounds[i + 1]] for i in range(len(raw))]
    vocab, col = np.unique(flat, return_inverse=True)
    r, c = owner, col.ravel()
    unit_doc_arr = np.asarray(unit_doc, dtype=np.int64)
    shape_u = (len(units), len(vocab))
    unit_matrix = sparse.csr_matrix((np.ones(len(r), np.int32), (r, c)), shape=shape_u)
    unit_matrix.sum_duplicates()
    unit_matrix.data[:] = 1  # a hash twice in one unit counts once
    doc_matrix = sparse.csr_matrix((np.ones(len(r), np.int32), (unit_doc_arr[r], c)),
                                   shape=(len(docs), len(vocab)))
    doc_matrix.data[:] = 1  # duplicates across units of one document were summed
    doc_matrix.sum_duplicates()
    doc_matrix.data[:] = 1
    doc_freq = np.asarray(doc_matrix.sum(axis=0)).ravel()
    return Index(docs, unit_doc_arr, units, hashes, starts, doc_matrix, unit_matrix, doc_freq,
                 len(given_seen), len(np.setdiff1d(common, given_arr)), limit)
