"""Named-mistake benchmark: grade every corpus entry and count what the feedback names.

Each entry of :mod:`tests.grader.mistakes.corpus` (a whole student-style function, labelled
with its kind of mistake or ``correct``) is put into a copy of the reference and graded by
:func:`grader.api.grade`, with the real sandbox. Then, per entry:

- **named**: a buggy entry is named when some failed check carries the sentence of its kind;
- **wrong**: any check that names a mistake of another kind (on a correct entry: any named
  mistake at all).

``python -m tests.grader.mistakes.bench`` (``make bench-mistakes``) prints one line per entry,
the named rate and every wrong naming; ``--json F`` writes the rows.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from grader.mistakes.diagnose import kind_of_sentence
from grader.samples import reference_sources

from .corpus import all_entries, replace_function


def submission_sources(entry):
    files = reference_sources()
    files[entry.module] = replace_function(files[entry.module], entry)
    return files


def grade_entry(entry):
    """Grade one entry; returns a plain dict row (picklable, JSON-able)."""
    from grader.api import grade

    with tempfile.TemporaryDirectory(prefix="mistake-corpus-") as tmp:
        sub = Path(tmp) / entry.id
        sub.mkdir()
        for name, text in submission_sources(entry).items():
            (sub / f"{name}.py").write_text(text, encoding="utf-8")
        start = time.perf_counter()
        result = grade(sub, compare=False)
    checks = []
    for c in result.checks:
        checks.append({"id": c.id, "status": c.status, "score": c.score,
                       "max_score": c.max_score, "named": kind_of_sentence(c.feedback),
                       "feedback": c.feedback})
    return {"id": entry.id, "kind": entry.kind, "target": entry.target, "checks": checks,
            "seconds": round(time.perf_counter() - start, 2)}


def judge(row):
    """``(named, wrong)`` for one graded row: named is None for a correct entry."""
    failed = [c for c in row["checks"] if c["status"] != "passed"]
    names = [(c["id"], c["named"]) for c in row["checks"] if c["named"]]
    if row["kind"] == "correct":
        return None, names + [(c["id"], "failed") for c in failed]
    named = any(n == row["kind"] for _, n in names)
    wrong = [(cid, n) for cid, n in names if n != row["kind"]]
    return named, wrong


def run(entries=None, jobs=2):
    entries = all_entries() if entries is None else entries
    with ProcessPoolExecutor(jobs) as pool:
        return list(pool.map(grade_entry, entries))


def report(rows, out=sys.stdout):
    """Print one line per entry and the totals; returns ``(named rate, wrong namings)``."""
    buggy = named_count = 0
    wrong_all = []
    for row in rows:
        named, wrong = judge(row)
        failed = [c["id"] for c in row["checks"] if c["status"] != "passed"]
        if named is None:
            verdict = "ok" if not wrong else "WRONG"
        else:
            buggy += 1
            named_count += bool(named)
            verdict = "named" if named else ("UNNAMED" if failed else "NOT CAUGHT")
            if wrong:
                verdict += " +WRONG"
        print(f"{row['id']:<40} {row['kind']:<30} {verdict:<14} failed: "
              f"{', '.join(failed) or '-'}", file=out)
        for cid, what in wrong:
            wrong_all.append((row["id"], cid, what))
    rate = named_count / buggy if buggy else 0.0
    failed = [(c, row["kind"]) for row in rows if row["kind"] != "correct"
              for c in row["checks"] if c["status"] != "passed"]
    right = sum(c["named"] == kind for c, kind in failed)
    print(f"\nnamed: {named_count}/{buggy} buggy entries ({rate:.0%}); failed checks of "
          f"buggy entries that carry the right name: {right}/{len(failed)}; wrong namings: "
          f"{len(wrong_all)}", file=out)
    for entry_id, cid, what in wrong_all:
        print(f"  WRONG {entry_id}: {cid} -> {what}", file=out)
    return rate, wrong_all


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument("-k", help="only entries whose id contains this")
    parser.add_argument("--set", choices=("all", "tuning", "heldout"), default="all",
                        help="tuning: entries the recognisers were built against; heldout: "
                        "written after they were frozen")
    args = parser.parse_args(argv)
    entries = [e for e in all_entries(args.set) if not args.k or args.k in e.id]
    start = time.perf_counter()
    rows = run(entries, args.jobs)
    rate, wrong = report(rows)
    print(f"{len(rows)} entries graded in {time.perf_counter() - start:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0 if rate >= 0.8 and not wrong else 1


if __name__ == "__main__":
    sys.exit(main())
