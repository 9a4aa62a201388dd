"""The pipeline in one call: documents -> index -> ranked pairs -> clusters.

Stages, in order (each its own module, each a plain function of the previous output):

1. :mod:`.tokens`        source -> normalised tokens per function
2. :mod:`.fingerprints`  tokens -> winnowed k-gram hashes
3. :mod:`.index`         hashes of all documents, minus handed-out and class-common ones
4. :mod:`.pairs`         pair scores, per-function overlap, clusters
5. :mod:`.report`        HTML, CSV and JSON (evidence for a human; never a grade)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import documents as docs_mod
from .config import Config
from .index import Index, build, given_hashes
from .pairs import Scores, clusters, function_overlaps, ranked_pairs, score_all

HIST_BINS = 20


@dataclass
class Analysis:
    """Everything the reports show.

    Attributes
    ----------
    index : Index
        Holds the documents (``index.docs``) and their kept fingerprints.
    scores : Scores
    pairs : list of Pair
        Every compared pair with any shared kept fingerprint, highest score first; the
        first ``config.detail_pairs`` and every pair at ``list_floor`` or the threshold
        carry their per-function overlap.
    clusters : list of list of int
        Groups of three or more documents linked by pairs at ``cluster_threshold``.
    histogram : ndarray of int, shape (HIST_BINS,)
        Pair scores binned over [0, 1], counting every compared pair (zeros included).
    config : Config
    """

    index: Index
    scores: Scores
    pairs: list
    clusters: list
    histogram: np.ndarray
    config: Config

    @property
    def flagged(self):
        """Pairs at or above the threshold."""
        return [p for p in self.pairs if p.score >= self.config.threshold]

    def name(self, i):
        """Name of document ``i``."""
        return self.index.docs[i].name


def analyse(submissions, against=(), reference=True, config: Config | None = None,
            given=None) -> Analysis:
    """Compare a class with itself, the reference and earlier terms.

    Parameters
    ----------
    submissions : list of Document
        The class (``kind == "submission"``); unreadable ones are kept but compare empty.
    against : list of Document
        Earlier terms (``kind == "archive"``).
    reference : bool
        Also compare every submission with the reference solution.
    config : Config, optional
    given : set of int, optional
        Fingerprints of the handed-out code; computed from the handout when omitted.

    Returns
    -------
    Analysis
    """
    config = config or Config()
    all_docs = list(submissions) + list(against)
    if reference:
        all_docs.append(docs_mod.reference())
    if given is None:
        given = given_hashes(docs_mod.given_code(), config)
    index = build(all_docs, given, config)
    scores = score_all(index, config)
    pairs = ranked_pairs(index, scores)
    for i, p in enumerate(pairs):
        if i < config.detail_pairs or p.score >= min(config.threshold, config.list_floor):
            p.functions = function_overlaps(index, scores, p.a, p.b)
    n_sub = sum(d.kind == "submission" for d in all_docs)
    n_other = len(all_docs) - n_sub
    # every compared pair: class pairs + each submission with each non-class document
    # (archives of one term against each other are not compared)
    compared = n_sub * (n_sub - 1) // 2 + n_sub * n_other
    hist, _ = np.histogram([p.score for p in pairs], bins=HIST_BINS, range=(0.0, 1.0))
    hist[0] += max(0, compared - len(pairs))
    return Analysis(index, scores, pairs, clusters(pairs, config.cluster_threshold, len(all_docs)),
                    hist, config)
