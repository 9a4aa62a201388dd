"""Known mistakes as mutants of the reference, and the signatures they leave.

Each :class:`~.mutants.Mutant` is the reference with one small textual edit inside a solution
(``padding ignored``, ``Adam without bias correction``...). Because it is generated from
``assignment/reference/`` it stays in sync with it; an edit that no longer applies raises
:class:`MutantError` naming the mutant, so the generator fails loudly instead of silently
dropping a signature.

:func:`generate_signatures` (trusted parent, ``python -m grader.golden.generate``) runs every
mutant on the checks it can reach, keeps the outputs that differ from the reference's by a
wide margin, and stores them with each mutant's sentence in
``grader/golden/expected/mistakes/signatures.npz`` + ``signatures.json``;
:mod:`grader.mistakes.diagnose` reads only those at grading time.

This module quotes solution lines (the edits), so it is a generator's file like the
reference: the Gradescope bundle leaves it out. ``python -m grader.mistakes.generate``
regenerates the signatures alone and prints what each mutant is recognised by.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from .diagnose import SIGNATURES_DIR, _arrays, _load, distance
from .mutants import MUTANTS, MutantError

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "assignment" / "reference"
MODULES = ("layers", "conv_layers", "layer_utils", "cnn", "optim")
# Which student modules a change to one module can reach (relative imports between them).
REACH = {"layers": set(MODULES) - {"optim"}, "conv_layers": {"conv_layers"},
         "layer_utils": {"layer_utils", "cnn"}, "cnn": {"cnn"}, "optim": {"optim"}}
MARGIN = 10.0  # a signature is kept only when it is this many tolerances from the reference
SLOW_CASE = 1.0  # seconds: a check whose reference run takes longer gets no signatures


# ------------------------------------------------------------------------- mutant sources
def _function_span(source, function):
    m = re.search(rf"^(?P<indent>[ \t]*)def {re.escape(function)}\(", source, re.M)
    if not m:
        raise MutantError(f"no function {function!r}")
    indent = len(m.group("indent"))
    end = len(source)
    for n in re.finditer(r"^(?P<indent>[ \t]*)(def|class) ", source[m.end():], re.M):
        if len(n.group("indent")) <= indent:
            end = m.end() + n.start()
            break
    return m.start(), end


def mutate(source, mutant):
    """Apply ``mutant``'s edits to a module's source; raises :class:`MutantError`."""
    try:
        start, end = _function_span(source, mutant.function)
    except MutantError as exc:
        raise MutantError(f"mutant {mutant.id}: {exc} in {mutant.module}.py") from None
    body = source[start:end]
    regions = [(m.start(), m.end()) for m in
               re.finditer(r"### BEGIN SOLUTION.*?### END SOLUTION", body, re.S)]
    if not regions:
        raise MutantError(f"mutant {mutant.id}: {mutant.function} has no solution region")
    for old, new in mutant.edits:
        hits = [(a, b) for a, b in regions if body.count(old, a, b)]
        count = sum(body.count(old, a, b) for a, b in regions)
        if count != 1:
            raise MutantError(f"mutant {mutant.id} no longer applies: {old!r} occurs {count} "
                              f"times in the solution regions of {mutant.module}."
                              f"{mutant.function}; update grader/mistakes/mutants.py")
        a, b = hits[0]
        i = body.index(old, a, b)
        body = body[:i] + new + body[i + len(old):]
        delta = len(new) - len(old)
        regions = [(x, y + delta) if x <= i < y else ((x + delta, y + delta) if x > i else (x, y))
                   for x, y in regions]
    return source[:start] + body + source[end:]


def mutant_sources(mutant, reference=REFERENCE):
    """All five module sources with ``mutant`` applied to its module."""
    sources = {m: (Path(reference) / f"{m}.py").read_text() for m in MODULES}
    sources[mutant.module] = mutate(sources[mutant.module], mutant)
    return sources


_loaded = 0


def load_modules(sources):
    """Import five module sources as a private package; returns a namespace of modules.

    Trusted code only (the reference and its mutants): runs in this process.
    """
    global _loaded
    _loaded += 1
    folder = Path(tempfile.mkdtemp(prefix="grader-mutant-"))
    name = f"_grader_mutant_{_loaded}"
    try:
        (folder / "__init__.py").write_text("")
        for m, src in sources.items():
            (folder / f"{m}.py").write_text(src)
        spec = importlib.util.spec_from_file_location(
            name, folder / "__init__.py", submodule_search_locations=[str(folder)])
        pkg = importlib.util.module_from_spec(spec)
        sys.modules[name] = pkg
        spec.loader.exec_module(pkg)
        mods = {m: importlib.import_module(f"{name}.{m}") for m in sources}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
    return SimpleNamespace(**mods)


class _Seeded:
    """Calls reseed numpy's and Python's global RNGs first, as the sandbox worker does."""

    def __init__(self, target):
        object.__setattr__(self, "_t", target)

    def __getattr__(self, name):
        value = getattr(self._t, name)
        if callable(value) and not name.startswith("__"):
            return _Seeded(value)
        return value

    def __setattr__(self, name, value):
        setattr(self._t, name, value)

    def __call__(self, *args, **kwargs):
        np.random.seed(0)
        random.seed(0)
        value = self._t(*args, **kwargs)
        if isinstance(value, object) and type(value).__module__.startswith("_grader_mutant_"):
            return _Seeded(value)
        return value


def seeded_modules(mods):
    return SimpleNamespace(**{m: _Seeded(getattr(mods, m)) for m in MODULES})


def _tol(case, name):
    if case.outputs and name in case.outputs:
        return float(case.tol(name))
    return 1e-6 if case.metric == "rel" else 1e-5


# ------------------------------------------------------------------------- generation
def _run(case, mods):
    np.random.seed(0)
    random.seed(0)
    with np.errstate(all="ignore"):
        return _arrays(case.run(seeded_modules(mods), case.make_inputs()))


def generate_signatures(cases, out_dir=SIGNATURES_DIR, mutants=None, reference=REFERENCE):
    """Run every mutant on the checks it can reach and store what tells it apart.

    Parameters
    ----------
    cases : list of grader.checks.case.Case
        Usually ``grader.checks.all_cases()``.
    out_dir : path or None
        Where ``signatures.npz`` and ``signatures.json`` go; None: do not write.
    mutants : list of Mutant, optional
        Defaults to :data:`MUTANTS`.

    Returns
    -------
    dict
        ``{"mutants": {id: {...}}, "signatures": {check id: [{"mutant", "outputs"}]},
        "unrecognised": [mutant ids with no signature]}``; the arrays go to the ``.npz``.

    Raises
    ------
    MutantError
        When a mutant's edit no longer applies to the reference.
    """
    mutants = MUTANTS if mutants is None else mutants
    ref_sources = {m: (Path(reference) / f"{m}.py").read_text() for m in MODULES}
    ref_mods = load_modules(ref_sources)
    ref_out, kept = {}, []
    for case in cases:
        start = time.perf_counter()
        try:
            first = _run(case, ref_mods)
        except Exception as exc:  # the reference must run every case
            raise RuntimeError(f"the reference fails {case.id}: {exc!r}") from exc
        if time.perf_counter() - start > SLOW_CASE:
            continue  # training-length checks: too slow to run once per mutant
        # Outputs that change from run to run (timings) cannot be signatures.
        second = _run(case, ref_mods)
        ref_out[case.id] = {k: v for k, v in first.items()
                            if k in second and distance(v, second[k]) == 0.0}
        kept.append(case)
    cases = kept
    arrays, signatures, info = {}, {}, {}
    for mutant in mutants:
        mods = load_modules(mutant_sources(mutant, reference))
        info[mutant.id] = {"module": mutant.module, "function": mutant.function,
                           "sentence": mutant.sentence, "checks": []}
        for case in cases:
            if case.module not in REACH[mutant.module]:
                continue
            try:
                out = _run(case, mods)
            except Exception:  # noqa: BLE001 - a mutant that crashes has no output signature
                continue
            diff = {}
            for name, ref in ref_out[case.id].items():
                if name not in out:
                    continue
                tol = _tol(case, name)
                if distance(out[name], ref, case.metric) > MARGIN * tol:
                    diff[name] = out[name]
            if not diff:
                continue
            entry = {"mutant": mutant.id, "metric": case.metric, "outputs": {}}
            for name, a in diff.items():
                key = f"{mutant.id}::{case.id}::{name}"
                arrays[key] = np.asarray(a)
                entry["outputs"][name] = {"key": key, "tol": _tol(case, name)}
            signatures.setdefault(case.id, []).append(entry)
            info[mutant.id]["checks"].append(case.id)
    summary = {"reference_sha256": {m: hashlib.sha256(s.encode()).hexdigest()
                                    for m, s in ref_sources.items()},
               "mutants": info, "signatures": signatures,
               "unrecognised": [m for m, v in info.items() if not v["checks"]]}
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        np.savez(out_dir / "signatures.npz", **arrays)
        (out_dir / "signatures.json").write_text(json.dumps(summary, indent=1, sort_keys=True)
                                                 + "\n")
        _load.cache_clear()
    return summary


def main(argv=None):
    from grader.checks import all_cases

    summary = generate_signatures(all_cases())
    width = max(len(m) for m in summary["mutants"])
    for mid, info in summary["mutants"].items():
        checks = ", ".join(info["checks"]) or "NOT RECOGNISED by any check"
        print(f"{mid:<{width}}  {checks}")
    return 1 if summary["unrecognised"] else 0


if __name__ == "__main__":
    sys.exit(main())
