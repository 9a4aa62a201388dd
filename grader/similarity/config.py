"""Every tunable number of the similarity report, in one place.

The defaults were chosen on the benchmark (``make bench-similarity``,
:mod:`grader.similarity.bench`): on its class of 500, the most similar pair of independent
students scores about 0.42 and the least similar whole-submission copy about 0.58, hence a
threshold of 0.5. Change them with ``--threshold`` and friends, never in the code that
uses them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Config:
    """Parameters of fingerprinting, filtering and flagging.

    Attributes
    ----------
    k : int
        Normalised tokens per fingerprint: shorter common runs are never seen.
    w : int
        Winnowing window: a shared run of ``k + w - 1`` tokens is always seen.
    common_share, common_min_files : float, int
        A fingerprint found in more than ``max(common_min_files, common_share * n)`` of the
        n class and archive submissions counts for nothing.
    min_unit_mass : float
        Least denominator of a function's overlap (its fingerprints' summed weights), so
        that a short or commonplace function never decides a pair's score on its own.
    threshold : float
        A pair scoring at least this is flagged for review (0..1).
    cluster_threshold : float
        Pairs at least this similar link submissions into clusters.
    max_pairs : int
        At most this many pairs get a side-by-side view in the HTML report.
    detail_pairs : int
        The per-function overlap is listed for the top pairs and every flagged pair.
    list_floor : float
        Pairs scoring at least this (or flagged) are listed in the CSV and JSON.
    """

    k: int = 15
    w: int = 4
    common_share: float = 0.2
    common_min_files: int = 10
    min_unit_mass: float = 24.0
    threshold: float = 0.5
    cluster_threshold: float = 0.5
    max_pairs: int = 50
    detail_pairs: int = 200
    list_floor: float = 0.1

    def to_dict(self):
        """Plain ``dict`` for the JSON report."""
        return asdict(self)
