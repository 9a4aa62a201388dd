"""``python -m grader batch DIR`` (and ``python -m grader.batch DIR``): the batch's CLI."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from .job import DEFAULT_GRADE, DEFAULT_TIMEOUT, NO_NOTEBOOKS_GRADE, worker_main
from .run import __doc__ as RUN_DOC
from .run import run_batch


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``batch`` subcommand on an argparse subparsers object."""
    p = subparsers.add_parser("batch", help="grade a folder of submissions into a gradebook",
                              description=RUN_DOC.split("\n\n")[1])
    p.add_argument("directory", metavar="DIR", help="folder of submissions (folders or zips)")
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                   help="parallel grading processes (default: CPU count)")
    p.add_argument("--out", "-o", default=None, help="output folder (default: DIR/_grades)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler address: grade on that cluster instead")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help="wall-time limit per submission in seconds (default: %(default)s)")
    p.add_argument("--no-cache", action="store_true", help="regrade every submission")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-notebooks", dest="grade_func", action="store_const",
                   const=NO_NOTEBOOKS_GRADE, default=DEFAULT_GRADE,
                   help="do not execute the submitted notebooks")
    p.add_argument("--grade-func", dest="grade_func", help=argparse.SUPPRESS)
    p.add_argument("--no-similarity", dest="similarity", action="store_false",
                   help="skip the similarity report (similarity.html/.csv/.json, for review)")
    p.add_argument("--similarity-threshold", type=float, default=None, metavar="T",
                   help="flag pairs scoring at least T, 0..1 (default: grader.similarity's)")
    p.set_defaults(func=lambda a: _run_from_args(a))
    return p


def _run_from_args(a: argparse.Namespace) -> int:
    directory = Path(a.directory)
    if not directory.is_dir():
        print(f"error: {directory} is not a folder of submissions", file=sys.stderr)
        return 2
    out = Path(a.out) if a.out else directory / "_grades"
    rows = run_batch(directory, out, jobs=a.jobs, scheduler=a.scheduler, timeout=a.timeout,
                     progress=not a.no_progress, use_cache=not a.no_cache,
                     grade_func=a.grade_func)
    graded = sum(r.graded for r in rows)
    print(f"{graded}/{len(rows)} submissions graded; gradebook: {out / 'gradebook.csv'}; "
          f"summary: {out / 'summary.html'}")
    if a.similarity:  # after the gradebook is written: it never changes a grade
        from grader.similarity.cli import batch_step

        try:
            print(batch_step(directory, out, threshold=a.similarity_threshold))
        except Exception:  # noqa: BLE001 - a failed report must not hide the grades
            traceback.print_exc()
            print("similarity report failed (see above); the gradebook is complete",
                  file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m grader.batch DIR ...`` (same options as ``grader batch``)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--worker"] or "--worker" in argv:
        return worker_main(argv)
    parser = argparse.ArgumentParser(prog="python -m grader")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["batch", *argv])
    return args.func(args)
