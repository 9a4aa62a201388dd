"""Gradescope entry point: grade ``$ROOT/submission``, write ``$ROOT/results/results.json``.

The modules are graded by :func:`grader.api.grade` and the notebooks re-executed in their
confined kernel (:func:`grader.notebooks.grading.grade_with_notebooks`).

``results.json`` is always written, also when the submission is unusable or the grader
fails, so the student sees a message instead of Gradescope's generic "autograder failed".
The console table goes to stdout (shown to instructors only).
"""

import json
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))


def fallback(results, message):
    """A valid results.json with score 0 and a message for the student."""
    results.write_text(json.dumps({"score": 0.0, "output": message, "output_format": "text",
                                   "tests": []}, indent=1), encoding="utf-8")


def main():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    submission = ROOT / "submission"
    results = ROOT / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    start = time.time()
    try:
        from grader import reports
        from grader.notebooks.grading import grade_with_notebooks as grade
        from grader.reports import console
        from grader.submission import SubmissionError
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        fallback(results, "The autograder is broken (it does not import); staff have been "
                 "told. Your submission was not graded.")
        return 1
    try:
        result = grade(submission)
    except SubmissionError as exc:
        print(f"not a usable submission: {exc}")
        fallback(results, f"Your submission could not be graded: {exc}")
        return 0
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        fallback(results, "The autograder failed on this submission (an internal error, not "
                 "your code's score). Please contact the course staff.")
        return 1
    print(console.render(result))
    reports.write(result, "gradescope", results)
    print(f"graded in {time.time() - start:.1f} s; wrote {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
