"""Known mistakes as mutants of the reference, and the signatures they leave.

Each :class:`Mutant` is the reference with one small textual edit inside a solution region
(``padding ignored``, ``Adam without bias correction``...). Because it is generated from
``assignment/reference/`` it stays in sync with it; an edit that no longer applies raises
:class:`MutantError` naming the mutant, so the generator fails loudly instead of silently
dropping a signature.

:func:`generate_signatures` (trusted parent, ``python -m grader.expected_gen``) runs every
mutant on the checks it can reach, keeps the outputs that differ from the reference's by a
wide margin, and stores them with each mutant's sentence in
``grader/expected/mistakes/signatures.npz`` + ``signatures.json``; :mod:`grader.mistakes`
reads only those at grading time.

This module quotes solution lines (the edits), so it is a generator's file like the
reference: the Gradescope bundle leaves it out. ``python -m grader.mistake_gen``
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
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from .mistakes import SIGNATURES_DIR, _arrays, _load, distance

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "assignment" / "reference"
MODULES = ("layers", "conv_layers", "layer_utils", "cnn", "optim")
# Which student modules a change to one module can reach (relative imports between them).
REACH = {"layers": set(MODULES) - {"optim"}, "conv_layers": {"conv_layers"},
         "layer_utils": {"layer_utils", "cnn"}, "cnn": {"cnn"}, "optim": {"optim"}}
MARGIN = 10.0  # a signature is kept only when it is this many tolerances from the reference
SLOW_CASE = 1.0  # seconds: a check whose reference run takes longer gets no signatures


class MutantError(Exception):
    """A mutant's edit no longer applies to the reference (update :data:`MUTANTS`)."""


@dataclass(frozen=True)
class Mutant:
    """One known mistake.

    Attributes
    ----------
    id : str
    module : str
        Student module the edit is made in.
    function : str
        Function (or method) whose solution region is edited.
    edits : tuple of (str, str)
        ``(old, new)`` replacements; each ``old`` must occur exactly once in the function's
        solution regions.
    sentence : str
        What the student is told, one plain sentence.
    """

    id: str
    module: str
    function: str
    edits: tuple
    sentence: str


def _m(id, module, function, edits, sentence):
    return Mutant(id, module, function, tuple(edits), sentence)


_POOL_ROUTE = ("a, bidx = np.unravel_index(np.argmax(window), window.shape)\n"
               "                    dx[n, c, hs + a, ws + bidx] += dout[n, c, i, j]")
_SBN_FWD_IN = 'x_flat = x.transpose(0, 2, 3, 1).reshape(-1, C)'
_SBN_FWD_OUT = 'out = out_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)'
_SBN_BWD_IN = 'dout_flat = dout.transpose(0, 2, 3, 1).reshape(-1, C)'
_SBN_BWD_OUT = 'dx = dx_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)'
_REG_LOSS = "loss += 0.5 * self.reg * sum(np.sum(W * W) for W in (W1, W2, W3))"


def _reg_missing(k):
    others = ", ".join(f"W{j}" for j in (1, 2, 3) if j != k)
    return _m(f"reg_missing_W{k}", "cnn", "loss",
              [(_REG_LOSS, f"loss += 0.5 * self.reg * sum(np.sum(W * W) for W in ({others},))"),
               (f'grads["W{k}"] = grads["W{k}"] + self.reg * W{k}', "")],
              f"This looks like W{k} was left out of the L2 regularisation: add "
              f"0.5 * reg * sum(W{k}**2) to the loss and reg * W{k} to its gradient, as for "
              f"the other weights.")


MUTANTS = [
    _m("conv_no_bias", "conv_layers", "conv_forward_naive",
       [("out[n, f, i, j] = np.sum(window * w[f]) + b[f]",
         "out[n, f, i, j] = np.sum(window * w[f])")],
       "This looks like a convolution that never adds the bias: add b[f] to every output of "
       "filter f."),
    _m("conv_pad_ignored", "conv_layers", "conv_forward_naive",
       [('stride, pad = conv_param["stride"], conv_param["pad"]',
         'stride, pad = conv_param["stride"], 0')],
       "This looks like the padding was ignored: pad x with conv_param['pad'] zeros on each "
       "side of the height and width before sliding the filters."),
    _m("conv_stride_ignored", "conv_layers", "conv_forward_naive",
       [("hs, ws = i * stride, j * stride", "hs, ws = i, j")],
       "This looks like the stride was ignored when placing the windows: window (i, j) starts "
       "at row i * stride and column j * stride."),
    _m("conv_kernel_flipped", "conv_layers", "conv_forward_naive",
       [("np.sum(window * w[f])", "np.sum(window * w[f, :, ::-1, ::-1])")],
       "This looks like the filters were flipped (a textbook convolution): this layer is a "
       "cross-correlation, so multiply each window by w[f] as it is."),
    _m("conv_dx_not_cropped", "conv_layers", "conv_backward_naive",
       [("dx = dx_pad[:, :, pad : pad + H, pad : pad + W]", "dx = dx_pad")],
       "This looks like dx is the gradient of the padded input: crop the padding off so that "
       "dx has the shape of x."),
    _m("pool_grad_whole_window", "conv_layers", "max_pool_backward_naive",
       [(_POOL_ROUTE, "dx[n, c, hs : hs + ph, ws : ws + pw] += dout[n, c, i, j]")],
       "This looks like the max-pool gradient went to every position of the window: it "
       "belongs only to the position of the window's maximum."),
    _m("pool_grad_averaged", "conv_layers", "max_pool_backward_naive",
       [(_POOL_ROUTE, "dx[n, c, hs : hs + ph, ws : ws + pw] += dout[n, c, i, j] / (ph * pw)")],
       "This looks like the max-pool gradient was spread evenly over the window (average "
       "pooling): it belongs only to the position of the window's maximum."),
    _m("pool_grad_assigned", "conv_layers", "max_pool_backward_naive",
       [("dx[n, c, hs + a, ws + bidx] += dout[n, c, i, j]",
         "dx[n, c, hs + a, ws + bidx] = dout[n, c, i, j]")],
       "This looks like the max-pool gradient was assigned (=) instead of accumulated (+=): "
       "when windows overlap, one position can be the maximum of several windows."),
    _m("dropout_not_inverted", "layers", "dropout_forward",
       [("mask = (np.random.rand(*x.shape) < p) / p", "mask = np.random.rand(*x.shape) < p")],
       "This looks like dropout that is not inverted: in train mode divide the kept units by "
       "p so that the expected output equals the input."),
    _m("dropout_p_is_drop", "layers", "dropout_forward",
       [("mask = (np.random.rand(*x.shape) < p) / p",
         "mask = (np.random.rand(*x.shape) >= p) / (1 - p)")],
       "This looks like p was used as the probability of dropping a unit: here p is the "
       "probability of KEEPING it (keep a unit when rand < p, then divide by p)."),
    _m("bn_running_stats_in_train", "layers", "batchnorm_forward",
       [("x_hat = (x - mu) * inv_std", "x_hat = (x - running_mean) / np.sqrt(running_var + eps)")],
       "This looks like train mode normalised with the running mean and variance: in train "
       "mode use the batch's own mean and variance (the running ones are for test mode)."),
    _m("bn_running_stats_not_updated", "layers", "batchnorm_forward",
       [("running_mean = momentum * running_mean + (1 - momentum) * mu", ""),
        ("running_var = momentum * running_var + (1 - momentum) * var", "")],
       "This looks like the running mean and variance were never updated: in train mode set "
       "running = momentum * running + (1 - momentum) * batch statistic, in bn_param."),
    _m("sbn_reshape_without_transpose", "conv_layers", "spatial_batchnorm_forward",
       [(_SBN_FWD_IN, "x_flat = x.reshape(-1, C)"),
        (_SBN_FWD_OUT, "out = out_flat.reshape(N, C, H, W)")],
       "This looks like x was reshaped to (N*H*W, C) without moving the channel axis last: "
       "transpose to (N, H, W, C) before the reshape, and back afterwards."),
    _m("sbn_backward_reshape_without_transpose", "conv_layers", "spatial_batchnorm_backward",
       [(_SBN_BWD_IN, "dout_flat = dout.reshape(-1, C)"),
        (_SBN_BWD_OUT, "dx = dx_flat.reshape(N, C, H, W)")],
       "This looks like dout was reshaped to (N*H*W, C) without moving the channel axis last: "
       "transpose to (N, H, W, C) before the reshape, and back afterwards."),
    _m("softmax_no_max_shift", "layers", "softmax_loss",
       [("shifted = x - x.max(axis=1, keepdims=True)", "shifted = x")],
       "This looks like a softmax that does not subtract each row's maximum score first: "
       "exp() overflows for large scores, and the shift leaves the result unchanged."),
    _m("reg_missing_half", "cnn", "loss",
       [(_REG_LOSS, "loss += self.reg * sum(np.sum(W * W) for W in (W1, W2, W3))")],
       "This looks like the regularisation term misses its factor 0.5: the loss adds "
       "0.5 * reg * sum(W**2), whose gradient is reg * W."),
    _reg_missing(1),
    _reg_missing(2),
    _reg_missing(3),
    _m("adam_no_bias_correction", "optim", "adam",
       [('m_hat = config["m"] / (1 - b1**t)', 'm_hat = config["m"]'),
        ('v_hat = config["v"] / (1 - b2**t)', 'v_hat = config["v"]')],
       "This looks like Adam without bias correction: divide m by (1 - beta1**t) and v by "
       "(1 - beta2**t) before the step."),
    _m("adam_t_not_incremented", "optim", "adam",
       [('config["t"] += 1', "pass")],
       "This looks like Adam without incrementing t: add 1 to config['t'] before using it in "
       "the bias correction."),
]


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
                              f"{mutant.function}; update grader/mistake_gen.py")
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
    from .checks import all_cases

    summary = generate_signatures(all_cases())
    width = max(len(m) for m in summary["mutants"])
    for mid, info in summary["mutants"].items():
        checks = ", ".join(info["checks"]) or "NOT RECOGNISED by any check"
        print(f"{mid:<{width}}  {checks}")
    return 1 if summary["unrecognised"] else 0


if __name__ == "__main__":
    sys.exit(main())
