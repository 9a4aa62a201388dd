"""Grade the hostile corpus and every named-mistake mutant; print the closing-note tables.

Usage: ``python tests/grader/hostile/report.py [--jobs N] [--only ID ...] [--no-mutants]``
(from the repository root). Exit status 1 when any hostile case broke a rule.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parents[2]))

from hostile import corpus  # noqa: E402


def check_functions():
    """Check id -> "module.function", including checks declared only as pytest tests."""
    from grader.checks import all_cases

    table = {c.id: c.function for c in all_cases()}
    return table


def function_of(check_id, table):
    if check_id in table:
        return table[check_id]
    prefix = check_id.split(".")[0]
    for fn in table.values():
        if fn.endswith("." + prefix):
            return fn
    return ""


def run_all(cases, base, jobs=3, extra_args=()):
    """(reference outcome, {case id: outcome}); cases run ``jobs`` at a time."""
    with ThreadPoolExecutor(jobs) as pool:
        ref = pool.submit(corpus.run_reference, base, extra_args)
        futures = {c.id: pool.submit(corpus.run_case, c, base, extra_args) for c in cases}
        return ref.result(), {k: f.result() for k, f in futures.items()}


def judge(cases, ref, outcomes):
    table = check_functions()
    functions = {c["id"]: (function_of(c["id"], table), c["id"] in table)
                 for c in ref.result["checks"]}
    return {c.id: corpus.violations(c, outcomes[c.id], ref.result, functions) for c in cases}


def hostile_table(cases, ref, outcomes, verdicts):
    rows = [f"{'case':<30} {'target':<32} {'points':>7} {'honest':>7} {'seconds':>7} "
            f"{'grader MB':>9}  verdict"]
    table = check_functions()
    for c in cases:
        o = outcomes[c.id]
        honest = _honest_points(c, ref.result, table)
        pts = f"{o.result['score']:g}" if o.result else "-"
        v = verdicts[c.id]
        mb = f"{o.parent_mb:.0f}" if o.parent_mb else "-"
        rows.append(f"{c.id:<30} {c.target:<32} {pts:>7} {honest:>7} {o.seconds:>7.1f} {mb:>9}  "
                    + ("ok" if not v else "BROKEN: " + " | ".join(v)[:300]))
    return "\n".join(rows)


def _honest_points(case, honest, table):
    """What the submission earns honestly: the reference minus the poisoned checks."""
    total = 0.0
    for c in honest["checks"]:
        fn = function_of(c["id"], table)
        rule = case.expect.get(c["id"]) or case.expect.get(fn)
        if rule is None and corpus._affected(case, fn) and (c["id"] in table
                                                             or case.id == "zeros_stub"):
            rule = case.affected
        if rule == "zero":
            continue
        if rule and rule.startswith("max:"):
            total += min(c["score"], float(rule[4:]))
            continue
        total += c["score"]
    note = "<=" if case.affected == "any" or "any" in case.expect.values() else ""
    return f"{note}{total:g}"


def mutant_table():
    """Grade each mutant in-process through the rubric (no sandbox: the code is ours)."""
    import numpy as np

    from grader.checks import all_cases
    from grader.checks.evaluate import evaluate
    from grader.golden import store as golden
    from grader.mistakes import diagnose as mistakes
    from grader.mistakes import generate as mistake_gen

    expected, _ = golden.load()
    summary, _ = mistakes._load(mistakes.SIGNATURES_DIR)
    rows = []
    for m in mistake_gen.MUTANTS:
        mods = mistake_gen.seeded_modules(mistake_gen.load_modules(
            mistake_gen.mutant_sources(m)))
        for cid in summary["mutants"].get(m.id, {}).get("checks", []):
            case = next(c for c in all_cases() if c.id == cid)
            with np.errstate(all="ignore"):
                r = evaluate(case, mods, expected.get(cid, {}))
            named = r.details.get("mistake")
            ok = "passed" if r.status == "passed" else ("yes" if named == m.sentence else "NO")
            rows.append((m.id, cid, r.status, r.score, r.max_score, ok, r.feedback))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--jobs", type=int, default=3)
    p.add_argument("--only", nargs="*")
    p.add_argument("--no-mutants", action="store_true")
    p.add_argument("--no-hostile", action="store_true")
    args = p.parse_args(argv)
    bad = False
    if not args.no_hostile:
        cases = [c for c in corpus.CASES if not args.only or c.id in args.only]
        base = Path(tempfile.mkdtemp(prefix="hostile-"))
        start = time.monotonic()
        ref, outcomes = run_all(cases, base, args.jobs)
        verdicts = judge(cases, ref, outcomes)
        print(f"reference: {ref.result['score']:g}/{ref.result['max_score']:g} in "
              f"{ref.seconds:.1f} s, grader peak {ref.parent_mb or 0:.0f} MB; corpus of "
              f"{len(cases)} in {time.monotonic() - start:.0f} s "
              f"wall ({args.jobs} at a time), work folder {base}\n")
        print(hostile_table(cases, ref, outcomes, verdicts))
        bad = any(verdicts.values())
    if not args.no_mutants:
        print(f"\n{'mutant':<40} {'check':<36} {'points':>7}  named?  feedback")
        for mid, cid, status, score, max_score, ok, feedback in mutant_table():
            print(f"{mid:<40} {cid:<36} {score:>3g}/{max_score:<3g}  "
                  f"{ok:<6}  {feedback[:150] if ok != 'passed' else '(check passed)'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
