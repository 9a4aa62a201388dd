"""Benchmark of the similarity report (``make bench-similarity``).

Builds a class (:mod:`.bench_corpus`): independent students, correct and buggy, in
different styles, and disguised copies: of a classmate (whole, or one or two functions),
of the reference, and of a copy. Then prints, for this package and (when installed) for
``copydetect`` run on the same files:

- the share of copy pairs (copy, its source) ranked above every independent pair;
- false flags: independent pairs at or above the default threshold;
- recall at the default threshold, by kind of copy;
- the time and peak memory of ``python -m grader similarity`` over the class written
  to disk (reports included), in a child process.

``python -m grader.similarity.bench [--n 500] [--seed 0] [--copydetect]``
"""

from __future__ import annotations

import argparse
import io
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import bench_corpus as bc
from . import documents as dm
from .analysis import analyse
from .config import Config

REF = dm.REFERENCE_NAME
BIG_REGIONS = ["conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive",
               "max_pool_backward_naive", "batchnorm_forward", "batchnorm_backward",
               "softmax_loss", "svm_loss", "ThreeLayerConvNet.loss#2"]


def make_class(n, rng, copy_share=0.2):
    """Students of one class and the truth about them.

    Returns
    -------
    students : list of Student
    kinds : dict of str to str
        Copy name -> ``"full"``, ``"partial"``, ``"reference"`` or ``"chain"``.
    """
    n_copies = round(n * copy_share)
    n_ind = n - n_copies
    buggy = rng.random(n_ind) < 0.3  # these make a classic mistake in half their regions
    students = [bc.independent(f"student{i:03d}", rng, buggy=0.5 if buggy[i] else 0.0)
                for i in range(n_ind)]
    ref = bc.Student(REF, bc.reference_bodies())
    kinds, copies = {}, []
    plan = ["full"] * 4 + ["partial"] * 3 + ["reference"] * 2 + ["chain"] * 1
    for c in range(n_copies):
        kind = plan[c % len(plan)]
        name = f"copy{c:03d}"
        n_dis = int(rng.integers(1, 5))
        if kind == "reference":
            st = bc.disguised_copy(name, ref, rng, n_dis)
        elif kind == "chain" and copies:
            st = bc.disguised_copy(name, copies[int(rng.integers(len(copies)))], rng, n_dis)
        elif kind == "partial":
            k = int(rng.integers(1, 3))
            regions = [str(r) for r in rng.choice(BIG_REGIONS, size=k, replace=False)]
            st = bc.disguised_copy(name, students[int(rng.integers(n_ind))], rng,
                                   min(n_dis, 2), regions=regions)
        else:
            kind = "full"
            st = bc.disguised_copy(name, students[int(rng.integers(n_ind))], rng, n_dis)
        kinds[name] = kind
        copies.append(st)
    return students + copies, kinds


def _families(students):
    """Root of each student's copy chain (the reference is its own root)."""
    by_name = {s.name: s for s in students}
    root = {}
    for s in students:
        r = s
        while r.source and r.source in by_name:
            r = by_name[r.source]
        root[s.name] = r.source if r.source == REF else r.name
    root[REF] = REF
    return root


def evaluate(scores, students, kinds, threshold):
    """Ranking and flagging quality from ``{(name_a, name_b): score}``.

    Returns
    -------
    dict
        ``detected`` (share of copy pairs above every independent pair), ``max_independent``,
        ``false_flags``, ``independent_pairs``, ``recall`` (by kind, at the threshold).
    """
    root = _families(students)
    names = [s.name for s in students] + [REF]
    source = {s.name: s.source for s in students if s.source}

    def score(a, b):
        return scores.get((a, b), scores.get((b, a), 0.0))

    indep = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if root[a] != root[b]:
                indep.append(score(a, b))
    top = max(indep) if indep else 0.0
    copy_scores = {c: score(c, source[c]) for c in kinds}
    detected = np.mean([s > top for s in copy_scores.values()]) if kinds else 0.0
    recall = {}
    for kind in sorted(set(kinds.values())):
        got = [copy_scores[c] >= threshold for c, k in kinds.items() if k == kind]
        recall[kind] = (sum(got), len(got))
    return {"detected": float(detected), "max_independent": top,
            "false_flags": int(sum(s >= threshold for s in indep)),
            "independent_pairs": len(indep), "recall": recall}


def ours(students, config):
    """``{(a, b): score}`` from this package."""
    docs = [dm.from_texts(s.name, bc.render(s)) for s in students]
    a = analyse(docs, config=config)
    return {(a.name(p.a), a.name(p.b)): p.score for p in a.pairs}


def copydetect_scores(students):
    """``{(a, b): score}`` from copydetect (max of its two similarities), skeleton as
    boilerplate, all five modules of a student as one file."""
    from copydetect import CodeFingerprint, compare_files

    skel = "\n".join((dm.SKELETON / f"{m}.py").read_text() for m in dm.STUDENT_MODULES)
    boiler = np.array(sorted(CodeFingerprint("skeleton.py", 25, 1, fp=io.StringIO(skel)).hashes))
    texts = {s.name: "\n".join(bc.render(s).values()) for s in students}
    texts[REF] = "\n".join((dm.REFERENCE / f"{m}.py").read_text() for m in dm.STUDENT_MODULES)
    fps = {n: CodeFingerprint(f"{n}.py", 25, 1, boilerplate=boiler, fp=io.StringIO(t))
           for n, t in texts.items()}
    names = sorted(fps)
    out = {}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            _, (s1, s2), _ = compare_files(fps[a], fps[b])
            out[(a, b)] = float(max(s1, s2))
    return out


def timed_run(students, threshold):
    """Write the class to disk and time ``python -m grader.similarity`` on it.

    Returns
    -------
    seconds : float
    peak_mb : float
        Peak resident memory of the child process.
    """
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "class"
        for s in students:
            folder = root / s.name
            folder.mkdir(parents=True)
            for m, text in bc.render(s).items():
                (folder / f"{m}.py").write_text(text)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "grader.similarity", str(root), "--out",
                        str(Path(tmp) / "out"), "--threshold", str(threshold), "--quiet"],
                       check=True)
        seconds = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def _print(label, r, threshold):
    rec = ", ".join(f"{k} {a}/{b}" for k, (a, b) in r["recall"].items())
    print(f"{label}: {100 * r['detected']:.1f}% of disguised copies ranked above every "
          f"independent pair (best independent pair {r['max_independent']:.3f}); "
          f"false flags at threshold {threshold}: {r['false_flags']} of "
          f"{r['independent_pairs']} independent pairs; flagged at threshold: {rec}")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m grader.similarity.bench",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=500, help="submissions in the class")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--copydetect", action="store_true", help="also run copydetect")
    p.add_argument("--no-timing", action="store_true")
    args = p.parse_args(argv)
    config = Config()
    rng = np.random.default_rng(args.seed)
    students, kinds = make_class(args.n, rng)
    counts = {k: sum(v == k for v in kinds.values()) for k in sorted(set(kinds.values()))}
    print(f"class of {len(students)}: {len(students) - len(kinds)} independent (about 30% "
          f"buggy), {len(kinds)} disguised copies ({', '.join(f'{v} {k}' for k, v in counts.items())})")
    t0 = time.perf_counter()
    r = evaluate(ours(students, config), students, kinds, config.threshold)
    _print(f"grader.similarity ({time.perf_counter() - t0:.1f} s in process)", r,
           config.threshold)
    if args.copydetect:
        try:
            import copydetect  # noqa: F401
        except ImportError:
            print("copydetect not installed (pip install copydetect): its comparison skipped")
            args.copydetect = False
    if args.copydetect:
        t0 = time.perf_counter()
        cd = copydetect_scores(students)
        elapsed = time.perf_counter() - t0
        _print(f"copydetect ({elapsed:.1f} s)", evaluate(cd, students, kinds, 0.33), 0.33)
    if not args.no_timing:
        seconds, peak = timed_run(students, config.threshold)
        print(f"time for {len(students)} submissions (python -m grader similarity, reports "
              f"included): {seconds:.1f} s, peak memory {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
