"""Command line: a thin layer over :func:`grader.api.grade`.

``python -m grader grade SUBMISSION [--json F] [--gradescope F] [--junit F]``
    grade one folder or zip; print the table and the total.
``python -m grader samples``
    generate the built-in sample submissions and grade them (``make grade``).
``python -m grader batch DIR``
    grade a folder of submissions into a gradebook (:mod:`grader.batch`).
``python -m grader similarity DIR [--against DIR ...] [--out DIR]``
    report similar submissions for a person to review (:mod:`grader.similarity`).

Exit status: 0 graded (whatever the score), 2 not a usable submission (the message says
why), 1 internal error.
"""

from __future__ import annotations

import argparse
import sys
import traceback

EXIT_GRADED, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


def _parser():
    p = argparse.ArgumentParser(prog="python -m grader", description="Grade the CNN "
                                "assignment in a sandbox.")
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="grade one submission (folder or .zip)")
    g.add_argument("submission")
    for fmt in ("json", "gradescope", "junit", "html", "csv"):
        g.add_argument(f"--{fmt}", metavar="FILE", help=f"also write the {fmt} report")
    g.add_argument("--timeout", type=float, help="seconds per call into student code")
    g.add_argument("--no-compare", action="store_true", help="skip naive vs fast timing")
    g.add_argument("--public-only", action="store_true", help="sum hidden checks in one row")
    g.add_argument("--checks", action="store_true",
                   help="list every check under its function (the table shows one row per "
                        "function)")
    g.add_argument("-k", dest="select", help="grade only checks matching this pytest -k")
    nb = g.add_mutually_exclusive_group()
    nb.add_argument("--notebooks", action="store_true", default=None,
                    help="execute the rubric's notebooks (missing ones score 0); default: "
                         "when the submission holds any of them")
    nb.add_argument("--no-notebooks", dest="notebooks", action="store_false",
                    help="grade the .py files only")
    s = sub.add_parser("samples", help="generate and grade the sample submissions")
    s.add_argument("--keep", metavar="DIR", help="write the samples to DIR and keep them")
    from .batch.cli import add_parser as add_batch
    add_batch(sub)  # ``batch DIR``: a folder of submissions into a gradebook
    from .similarity.cli import add_parser as add_similarity
    add_similarity(sub)  # ``similarity DIR``: similar submissions, for review (no grades)
    return p


def _grade(args):
    from . import reports
    from .api import grade
    from .reports import console
    if args.notebooks is None:
        from .notebooks.grading import has_notebooks
        args.notebooks = has_notebooks(args.submission)
    if args.notebooks:
        from .notebooks.grading import grade_with_notebooks as grade
    result = grade(args.submission, timeout=args.timeout, compare=not args.no_compare,
                   pytest_args=("-k", args.select) if args.select else ())
    print(console.render(result, show_hidden=not args.public_only, checks=args.checks))
    for fmt in ("json", "gradescope", "junit", "html", "csv"):
        path = getattr(args, fmt)
        if path:
            reports.write(result, fmt, path)
    return EXIT_GRADED


def main(argv=None):
    args = _parser().parse_args(argv)
    from .api import GraderError
    from .submission import SubmissionError
    try:
        if args.command == "grade":
            return _grade(args)
        if args.command in ("batch", "similarity"):
            return args.func(args)
        from .samples import main as samples_main
        return samples_main(keep=args.keep)
    except SubmissionError as exc:
        print(f"not a usable submission: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except GraderError as exc:
        print(f"grader error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return EXIT_INTERNAL
    except Exception:  # noqa: BLE001 - any other failure is ours, not the student's
        traceback.print_exc()
        print("grader error: internal error (see above)", file=sys.stderr)
        return EXIT_INTERNAL
