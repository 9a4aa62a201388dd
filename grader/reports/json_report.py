"""The JSON report: ``Result.to_dict()`` as documented below.

Schema (all keys always present)::

    {
      "submission": str, "submission_hash": str (sha256), "grader_version": str,
      "score": float, "max_score": float, "seconds": float,
      "environment": {"grader_version", "grader_sha256" (code + stored outputs), "python",
                      "numpy", "platform", "threads" (as measured in the worker:
                      {"openblas": int or null, "env": {VAR: value}}),
                      "expected_sha256", "sandbox": {...}},
      "extra": {"naive_vs_fast": {...}, "sandbox": {...}, ...},
      "checks": [{"id": str, "name": str, "score": float, "max_score": float,
                  "status": "passed" | "failed" | "error" | "timeout" | "missing",
                  "feedback": str, "error": float | null, "threshold": float | null,
                  "visibility": "public" | "hidden", "seconds": float, "group": str,
                  "functions": [str] (every student function the check judges, as
                                "module.function"; [] for notebooks),
                  "details": {"by_function": {"module.function": {"score", "max_score"}},
                              "parts": {...}, ...}}]
    }

A check that judges several functions scores each on its own part: ``details.by_function``
splits the check's ``score`` and ``max_score`` between them.
"""

import json
import math


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def dumps(result):
    """The report as JSON text (NaN/inf become null, so any JSON parser reads it)."""
    return json.dumps(_clean(result.to_dict()), indent=1, sort_keys=True, allow_nan=False)


def write(result, path):
    with open(path, "w", encoding="utf-8") as f:
        f.write(dumps(result) + "\n")
