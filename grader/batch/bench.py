"""Benchmark of batch grading: N generated submissions with ``--jobs J`` (notebooks included).

``python -m grader.batch.bench [--n 50] [--jobs 2] [--no-notebooks] [--keep DIR]``

Submissions are generated from the built-in samples (complete, partial, buggy in turn),
each made unique by a comment so that the cache never applies, and each carrying the
solution notebooks (as a student who finished them would). Notebooks run in small-data
mode. Prints the wall time of the batch against the target (3 minutes for 50 with 2 jobs)
and per-submission medians: grading by :func:`grader.api.grade`, notebooks, and the wall
time per submission seen by the batch.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from grader.batch.job import DEFAULT_GRADE, NO_NOTEBOOKS_GRADE
from grader.batch.run import run_batch
from grader.samples import make_samples

ROOT = Path(__file__).resolve().parents[2]
TARGET_SECONDS = 180.0


def generate(folder: Path, n: int, notebooks: bool = True) -> Path:
    """Write ``n`` distinct submissions into ``folder/subs``; returns that folder."""
    samples = make_samples(folder / "samples", notebooks=False)
    kinds = sorted(samples)
    subs = folder / "subs"
    for i in range(n):
        kind = kinds[i % len(kinds)]
        dest = subs / f"student{i:03d}_{kind}"
        shutil.copytree(samples[kind], dest)
        with open(dest / "layers.py", "a", encoding="utf-8") as f:
            f.write(f"\n# submission {i}\n")
        if notebooks:
            for nb in sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb")):
                shutil.copyfile(nb, dest / nb.name)
    return subs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m grader.batch.bench", description=__doc__)
    p.add_argument("--n", type=int, default=50)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--no-notebooks", action="store_true")
    p.add_argument("--keep", metavar="DIR", help="generate into DIR and keep the outputs")
    a = p.parse_args(argv)
    tmp = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="grader-bench-batch-"))
    try:
        subs = generate(tmp, a.n, notebooks=not a.no_notebooks)
        grade_func = NO_NOTEBOOKS_GRADE if a.no_notebooks else DEFAULT_GRADE
        start = time.perf_counter()
        rows = run_batch(subs, tmp / "out", jobs=a.jobs, grade_func=grade_func,
                         use_cache=False)
        wall = time.perf_counter() - start
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    graded = [r.result for r in rows if r.result is not None]
    core = [r.seconds for r in graded]  # api.grade's own wall time
    nbs = [r.extra.get("notebooks_seconds", 0.0) for r in graded]
    total = [c + n for c, n in zip(core, nbs)]
    print(f"\n{a.n} submissions, --jobs {a.jobs}, notebooks {'off' if a.no_notebooks else 'on'}"
          f": {len(graded)} graded in {wall:.1f} s wall "
          f"(target {TARGET_SECONDS:.0f} s for 50 with 2 jobs: "
          f"{'OK' if wall * 50 / max(a.n, 1) <= TARGET_SECONDS else 'OVER'})")
    if graded:
        print(f"per submission, median: grade {statistics.median(core):.2f} s, notebooks "
              f"{statistics.median(nbs):.2f} s, total {statistics.median(total):.2f} s; "
              f"wall per submission {wall / a.n:.2f} s ({wall * a.jobs / a.n:.2f} s of a worker)")
    return 0 if len(graded) == a.n else 1


if __name__ == "__main__":
    sys.exit(main())
