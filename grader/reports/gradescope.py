"""Gradescope ``results.json`` (the autograder specification's fields).

Top level: ``score``, ``execution_time``, ``output``, ``output_format``, ``visibility``,
``stdout_visibility``, ``extra_data``, ``tests``. Each test: ``score``, ``max_score``,
``status`` (``passed``/``failed``), ``name``, ``number``, ``output``, ``output_format``,
``tags``, ``visibility``: public checks ``visible``, hidden ones ``after_published``.
The per-test ``max_score`` values add up to the total; ``score`` is given explicitly too.
"""

import json
import math


def results(result):
    """The ``results.json`` content as a dict."""
    tests = []
    for k, c in enumerate(result.checks, start=1):
        lines = [f"{c.status}: {c.feedback}" if c.feedback else c.status]
        if c.error is not None and math.isfinite(c.error) and c.threshold is not None:
            lines.append(f"error {c.error:.2e} (limit {c.threshold:.0e})")
        tests.append({
            "name": f"{c.id}: {c.name}", "number": str(k), "score": c.score,
            "max_score": c.max_score, "status": "passed" if c.status == "passed" else "failed",
            "output": "\n".join(lines), "output_format": "text", "tags": [c.group, c.status],
            "visibility": "visible" if c.visibility == "public" else "after_published",
        })
    return {
        "score": result.score,
        "execution_time": round(result.seconds, 3),
        "output": (f"Graded by grader {result.grader_version}; submission "
                   f"{result.submission_hash[:12]}. Hidden checks are shown once grades are "
                   "published."),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"submission_hash": result.submission_hash,
                       "grader_version": result.grader_version,
                       "environment": result.environment},
        "tests": tests,
    }


def write(result, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(results(result), f, indent=1, allow_nan=False)
        f.write("\n")
