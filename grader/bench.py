"""Benchmark the grader on the reference (``make bench-grader``).

Prints the time to grade the reference (all ``.py`` checks; notebooks and the naive-vs-fast
comparison excluded), the bare time spent inside student calls as measured by the worker,
the time to run the same cases directly in this process (no sandbox, no pytest), the
overhead ratios, and the worker's peak resident memory. Targets on
2 cores: <= 5 s, overhead <= 1.5x, peak RSS <= 500 MB.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from .api import grade
from .checks import all_cases
from .samples import make_samples
from .sandbox import STUDENT_MODULES

TARGETS = {"seconds": 5.0, "overhead": 1.5, "rss_mb": 500.0}


def _load_in_process(folder):
    """Import a submission folder in this process, as package ``_bench_submission``."""
    spec = importlib.util.spec_from_file_location(
        "_bench_submission", Path(folder) / "__init__.py",
        submodule_search_locations=[str(folder)])
    (Path(folder) / "__init__.py").touch()
    pkg = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = pkg
    spec.loader.exec_module(pkg)
    return SimpleNamespace(**{m: importlib.import_module(f"{spec.name}.{m}")
                              for m in STUDENT_MODULES})


def in_process_seconds(folder):
    """Time to run every case directly in this process (no sandbox, no pytest)."""
    mods = _load_in_process(folder)
    start = time.perf_counter()
    for case in all_cases():
        case.run(mods, case.make_inputs())
    return time.perf_counter() - start


def measure(path, repeat=3):
    """Median wall time, bare time, overhead and max RSS over ``repeat`` gradings."""
    runs = []
    for _ in range(repeat):
        r = grade(path, compare=False)
        sb = r.extra["sandbox"]
        runs.append((r.seconds, sb["bare_seconds"], sb["peak_rss_mb"], r.score, r.max_score,
                     sb["calls"]))
    wall = statistics.median(x[0] for x in runs)
    bare = statistics.median(x[1] for x in runs)
    return {"seconds": wall, "bare_seconds": bare, "overhead": wall / bare if bare else None,
            "rss_mb": max(x[2] for x in runs), "score": f"{runs[0][3]:g}/{runs[0][4]:g}",
            "calls": runs[0][5]}


def fixed_costs(path, calls=200):
    """Medians of what grading costs whatever the student code does: starting a confined
    worker (Python, numpy, the fast layers, every confinement layer) and one round trip of
    a call that does nothing (protocol, encoding, the worker's bookkeeping)."""
    import numpy as np

    from .sandbox import Sandbox
    from .submission import load

    files = load(path).files
    starts, trips = [], []
    for _ in range(3):
        with Sandbox(files) as sb:
            t = time.perf_counter()
            sb.start()
            starts.append(time.perf_counter() - t)
            sb.ensure_imported("layers")
            x = np.ones((2, 3))
            for _ in range(calls):
                t = time.perf_counter()
                sb.call("layers.relu_forward", x)
                trips.append(time.perf_counter() - t)
    return statistics.median(starts), statistics.median(trips)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m grader.bench", description=__doc__
                                .splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as tmp:
        ref = make_samples(Path(tmp))["complete"]
        m = measure(ref, args.repeat)
        direct = statistics.median(in_process_seconds(ref) for _ in range(args.repeat))
        start, trip = fixed_costs(ref)
    print(f"grading the reference ({m['score']}), median of {args.repeat}:")
    print(f"  wall time          {m['seconds']:.2f} s   (target <= {TARGETS['seconds']:g} s)")
    print(f"  inside student code {m['bare_seconds']:.2f} s")
    print(f"  same cases run in-process, unsandboxed {direct:.2f} s")
    print(f"  overhead vs in-process run  {m['seconds'] / direct:.2f}x  "
          f"(target <= {TARGETS['overhead']:g}x)")
    print(f"  overhead vs time inside student calls {m['overhead']:.2f}x")
    print(f"  worker peak RSS    {m['rss_mb']:.0f} MB  (target <= {TARGETS['rss_mb']:g} MB)")
    print("where the overhead goes:")
    print(f"  starting the confined worker  {start * 1e3:.0f} ms (once per submission)")
    print(f"  one call round trip           {trip * 1e3:.2f} ms (x {m['calls']} calls = "
          f"{trip * m['calls']:.2f} s)")
    rest = m["seconds"] - start - trip * m["calls"] - m["bare_seconds"]
    print(f"  the rest (pytest session, inputs, validation, judging) {rest:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
