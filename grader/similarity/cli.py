"""``python -m grader similarity DIR [--against DIR ...] [--out DIR]``, and the batch step.

Reads every submission in DIR (folders or zips, as ``grader batch`` does), compares them
with each other, with the reference solution and with earlier terms, and writes
``similarity.html``, ``similarity.csv`` and ``similarity.json`` to the output folder. It
never grades and never changes a grade.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import documents
from .config import Config

FILES = ("similarity.html", "similarity.csv", "similarity.json")


def run(paths, out, names=None, against=(), reference=True, config: Config | None = None):
    """Compare submissions and write the three reports.

    Parameters
    ----------
    paths : list of Path
        Submissions (folders or zips).
    out : Path
        Output folder (created).
    names : dict of Path to str, optional
        Display name of each submission (the gradebook's); default: folder name or zip stem.
    against : list of Path
        Folders of earlier terms, each holding submissions.
    reference : bool
        Also compare with the reference solution.
    config : Config, optional

    Returns
    -------
    Analysis
    """
    # imported here: building the CLI parser must not need scipy
    from .analysis import analyse
    from .report import write_csv, write_json
    from .report_html import write as write_html

    names = names or {}
    subs = [documents.load(p, names.get(p)) for p in paths]
    archived = [d for folder in against for d in documents.load_archive(folder)]
    analysis = analyse(subs, archived, reference=reference, config=config)
    out = Path(out)
    write_html(analysis, out / FILES[0])
    write_csv(analysis, out / FILES[1])
    write_json(analysis, out / FILES[2])
    return analysis


def add_arguments(p: argparse.ArgumentParser):
    """The options shared by ``similarity`` and the batch step."""
    d = Config()
    p.add_argument("--against", action="append", default=[], metavar="DIR",
                   help="a folder of an earlier term's submissions (repeatable)")
    p.add_argument("--threshold", type=float, default=d.threshold,
                   help="flag pairs scoring at least this, 0..1 (default: %(default)s)")
    p.add_argument("--cluster-threshold", type=float, default=None,
                   help="link clusters at this score (default: the threshold)")
    p.add_argument("--common-share", type=float, default=d.common_share,
                   help="ignore code found in more than this share of the class "
                        "(default: %(default)s)")
    p.add_argument("--common-min-files", type=int, default=d.common_min_files,
                   help="...but never in fewer files than this (default: %(default)s)")
    p.add_argument("--no-reference", dest="reference", action="store_false",
                   help="do not compare with the reference solution")


def config_from(args) -> Config:
    """A :class:`Config` from parsed arguments."""
    ct = args.cluster_threshold if args.cluster_threshold is not None else args.threshold
    return Config(threshold=args.threshold, cluster_threshold=ct,
                  common_share=args.common_share, common_min_files=args.common_min_files)


def add_parser(subparsers):
    """Register ``similarity`` on an argparse subparsers object."""
    p = subparsers.add_parser("similarity", help="report similar submissions (for review)",
                              description=__doc__.split("\n\n")[1])
    p.add_argument("directory", metavar="DIR", help="folder of submissions")
    p.add_argument("--out", "-o", default=None,
                   help="output folder (default: DIR/_similarity)")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    add_arguments(p)
    p.set_defaults(func=main_from_args)
    return p


def main_from_args(args) -> int:
    directory = Path(args.directory)
    if not directory.is_dir():
        print(f"error: {directory} is not a folder of submissions", file=sys.stderr)
        return 2
    for folder in args.against:
        if not Path(folder).is_dir():
            print(f"error: --against {folder} is not a folder", file=sys.stderr)
            return 2
    out = Path(args.out) if args.out else directory / "_similarity"
    paths = documents.discover(directory, exclude=[out])
    analysis = run(paths, out, against=[Path(a) for a in args.against],
                   reference=args.reference, config=config_from(args))
    if not args.quiet:
        from .report import console

        print(console(analysis, out))
    return 0


def batch_step(directory, out, threshold=None):
    """The similarity step of ``grader batch``: reports next to the gradebook.

    Submissions and their names are those of the gradebook (:mod:`grader.batch.names`).
    Runs after grading and reads only the submitted files, so it cannot change a grade.

    Returns
    -------
    str
        The console summary.
    """
    from grader.batch.names import discover, student_names

    from .report import console

    out = Path(out)
    paths = discover(Path(directory), exclude=out)
    t = Config().threshold if threshold is None else threshold
    analysis = run(paths, out, names=student_names(paths),
                   config=Config(threshold=t, cluster_threshold=t))
    return console(analysis, out)


def main(argv=None) -> int:
    """``python -m grader.similarity DIR ...``: same as ``python -m grader similarity``."""
    parser = argparse.ArgumentParser(prog="python -m grader")
    add_parser(parser.add_subparsers(dest="command", required=True))
    argv = sys.argv[1:] if argv is None else list(argv)
    return main_from_args(parser.parse_args(["similarity", *argv]))
