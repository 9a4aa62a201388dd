"""Named mistakes: recognise a failed check's output as a known bug and say so.

:func:`diagnose` compares a failed check's outputs with each stored signature of that check
(``grader/golden/expected/mistakes/``, written by :mod:`grader.mistakes.generate` from mutants of the
reference); when all of a mutant's differing outputs match within the check's tolerance it
returns the mutant's sentence. Otherwise the behavioural recognisers (:mod:`.behaviour`)
compare the outputs with what each kind of mistake would give on the check's own inputs, so
that code written in any style is named.

Grading needs only this module and the stored signatures, never the mutants' edits (which
quote solution lines), so the Gradescope bundle ships this file and not the generator.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from . import errors, kinds, numpy_api, rec_conv, rec_norm, rec_other  # noqa: F401 - rec_* register
from .behaviour import recognise

SIGNATURES_DIR = Path(__file__).resolve().parents[1] / "golden" / "expected" / "mistakes"


# ------------------------------------------------------------------------- comparing
def _arrays(outs):
    got = {}
    for k, v in outs.items():
        if isinstance(v, bool) or not isinstance(v, (np.ndarray, int, float, np.generic)):
            continue
        a = np.asarray(v)
        if a.dtype.kind in "biuf":
            got[k] = a
    return got


def distance(x, y, metric="rel"):
    """Error of ``x`` against ``y``: inf when shapes or non-finite patterns differ."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        if x.size == y.size and np.squeeze(x).shape == np.squeeze(y).shape:
            x = x.reshape(y.shape)
        else:
            return np.inf
    fx, fy = np.isfinite(x), np.isfinite(y)
    if not np.array_equal(fx, fy):
        return np.inf
    bad = ~fx
    if bad.any():
        xb, yb = x[bad], y[bad]
        if not np.array_equal(np.isnan(xb), np.isnan(yb)):
            return np.inf
        inf = ~np.isnan(xb)
        if not np.array_equal(np.sign(xb[inf]), np.sign(yb[inf])):
            return np.inf
    x, y = x[fx], y[fx]
    if x.size == 0:
        return 0.0
    if metric == "scaled":
        return float(np.max(np.abs(x - y)) / max(1e-12, float(np.max(np.abs(y)))))
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


# ------------------------------------------------------------------------- diagnosis
@functools.lru_cache(maxsize=4)
def _load(folder=SIGNATURES_DIR):
    folder = Path(folder)
    try:
        summary = json.loads((folder / "signatures.json").read_text())
        with np.load(folder / "signatures.npz", allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except FileNotFoundError:
        return {"signatures": {}, "mutants": {}}, {}
    return summary, arrays


def match(check_id, outputs, folder=SIGNATURES_DIR):
    """Mutants whose stored outputs for ``check_id`` all match ``outputs``, best first.

    Returns
    -------
    list of (mutant id, worst error / tolerance)
    """
    summary, arrays = _load(Path(folder))
    found = []
    for entry in summary["signatures"].get(check_id, []):
        worst = 0.0
        for name, spec in entry["outputs"].items():
            value = outputs.get(name)
            if value is None:
                worst = np.inf
                break
            err = distance(value, arrays[spec["key"]], entry.get("metric", "rel"))
            worst = max(worst, err / spec["tol"] if spec["tol"] else err)
            if worst > 1.0:
                break
        if worst <= 1.0:
            found.append((entry["mutant"], worst, -len(entry["outputs"])))
    found.sort(key=lambda t: (t[2], t[1]))
    return [(m, w) for m, w, _ in found]


def mutant_sentences(folder=SIGNATURES_DIR):
    """Mutant id -> the sentence stored with its signatures."""
    summary, _ = _load(Path(folder))
    return {m: v.get("sentence") for m, v in summary["mutants"].items()}


def kind_of_sentence(text, folder=SIGNATURES_DIR):
    """The kind of mistake a feedback text names (see :func:`.kinds.kind_of_sentence`)."""
    return kinds.kind_of_sentence(text, mutant_sentences(folder))


def diagnose(check_id, outputs, folder=SIGNATURES_DIR):
    """One plain sentence naming the known mistake ``outputs`` show, or None.

    Parameters
    ----------
    check_id : str
        The failed check (``"conv_forward_naive.public"``).
    outputs : dict of str to ndarray
        The student's outputs of that check, as returned by the case's ``run``
        (validated or not: wrong shapes and NaN are part of some signatures). Stand-ins
        for outputs a call did not produce (objects with ``kind`` and ``message``, as
        :class:`grader.checks.case.Failed`) bring the exception's text, which the check's
        geometry may explain (:mod:`.errors`); a removed numpy API is named where the
        failure's text is made (:func:`.numpy_api.hint`), not here.
    """
    raised = [v.message for v in outputs.values() if isinstance(getattr(v, "message", None), str)
              and getattr(v, "kind", "exception") == "exception"]
    if any(numpy_api.explain(m) for m in raised):
        return None  # a removed numpy API: the failure's own text names it and its fix
    outputs = _arrays(outputs)
    kind = next(filter(None, (errors.kind_of_exception(m, check_id) for m in raised)), None)
    if kind:
        return kinds.SENTENCES[kind]
    hits = [m for m, _ in match(check_id, outputs, folder)]
    if hits:  # the exact output of a known mutant: its own, most specific sentence
        summary, _ = _load(Path(folder))
        return summary["mutants"].get(hits[0], {}).get("sentence")
    kind = recognise(check_id, outputs)
    return kinds.SENTENCES.get(kind) if kind else None
