"""Generate ``grader/golden/expected/`` from the reference solutions (``make expected``).

The only grader module that imports ``assignment.reference``. It runs every check's inputs
through the reference, stores the outputs (or the notebook's published values, after
checking that the reference agrees with them) and a manifest of hashes, so that
``tests/grader/golden/test_store.py`` fails when the reference or a check changes without a
regeneration. It then regenerates the named-mistake signatures
(``grader.mistakes.generate.generate_signatures``) into ``expected/mistakes/``.

Usage: ``python -m grader.golden.generate [--out FOLDER]`` (``make expected``).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from grader import __version__
from grader.checks import all_cases
from grader.checks.case import rel_error, twin_inputs
from grader.golden import store as golden
from grader.mistakes import generate as mistake_gen
from grader.sandbox.scratch import STUDENT_MODULES

REFERENCE = Path(__file__).resolve().parents[2] / "assignment" / "reference"


def reference_modules():
    """The five reference modules as a namespace (``mods.conv_layers``...)."""
    return SimpleNamespace(**{m: importlib.import_module(f"assignment.reference.{m}")
                              for m in STUDENT_MODULES})


def reference_hashes():
    return {f"{m}.py": hashlib.sha256((REFERENCE / f"{m}.py").read_bytes()).hexdigest()
            for m in STUDENT_MODULES}


def generate():
    """Run the reference on every case: ``(expected, manifest)`` ready for :func:`golden.write`.

    Raises
    ------
    RuntimeError
        When the reference disagrees with a published notebook value.
    """
    mods = reference_modules()
    expected, cases_meta = {}, {}
    for case in all_cases():
        inputs = case.make_inputs()
        meta = {"module": case.module, "inputs_sha256": golden.inputs_hash(inputs),
                "outputs": {}}
        cases_meta[case.id] = meta
        if not case.outputs:
            continue
        np.random.seed(0)
        outs = case.run(mods, inputs)
        if case.twinned:  # the hidden twin input of a public check (grader.checks.case)
            np.random.seed(0)
            twin = case.run(mods, twin_inputs(case))
            outs.update({f"twin:{k}": v for k, v in twin.items() if k in case.outputs})
        stored = {}
        for name in [*case.outputs, *(f"twin:{k}" for k in case.outputs if case.twinned)]:
            value = np.asarray(outs[name])
            if case.published and name in case.published:
                err = rel_error(value, case.published[name])
                if err > case.tol(name):
                    raise RuntimeError(f"{case.id}: the reference's {name} differs from the "
                                       f"published value by {err:.2e}")
                value = np.asarray(case.published[name])
            stored[name] = value
            meta["outputs"][name] = {"shape": list(value.shape), "dtype": value.dtype.str,
                                     "sha256": golden.array_hash(value)}
        expected[case.id] = stored
    manifest = {"grader_version": __version__, "reference_sha256": reference_hashes(),
                "cases": cases_meta}
    return expected, manifest


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader.golden.generate", description=__doc__
                                     .splitlines()[0])
    parser.add_argument("--out", default=str(golden.EXPECTED_DIR), help="output folder")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    # One BLAS thread, as in the worker: a multi-threaded GEMM sums in another order, and
    # the stored outputs would change in their last bits from one machine to the next.
    with threadpool_limits(1):
        expected, manifest = generate()
        golden.write(expected, manifest, args.out)
        n = sum(len(v) for v in expected.values())
        print(f"wrote {n} expected outputs of {len(expected)} checks to {args.out}")
        return write_signatures(Path(args.out) / "mistakes")


def write_signatures(folder):
    """Regenerate the named-mistake signatures (:mod:`grader.mistakes.generate`) beside the outputs."""
    summary = mistake_gen.generate_signatures(all_cases(), out_dir=folder)
    print(f"wrote the signatures of {len(summary['mutants'])} known mistakes to {folder}")
    for mid in summary.get("unrecognised", []):
        print(f"  warning: mistake {mid} is not recognised by any check")
    return 0


if __name__ == "__main__":
    sys.exit(main())
