"""Named mistakes: each mutant is named when graded; correct variants never are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from grader.checks import all_cases
from grader.checks.evaluate import evaluate
from grader.golden import store as golden
from grader.mistakes import diagnose as mistakes
from grader.mistakes import generate as mistake_gen
from grader.mistakes import mutants
from grader.mistakes.mutants import MUTANTS, Mutant, MutantError

ROOT = Path(__file__).resolve().parents[3]
CASES = {c.id: c for c in all_cases()}


@pytest.fixture(scope="module")
def expected():
    return golden.load()[0]


@pytest.fixture(scope="module")
def fresh():
    """Signatures regenerated from today's reference (not written anywhere)."""
    return mistake_gen.generate_signatures(all_cases(), out_dir=None)


def _mods(*muts):
    sources = {m: (mistake_gen.REFERENCE / f"{m}.py").read_text() for m in mistake_gen.MODULES}
    for mut in muts:
        sources[mut.module] = mistake_gen.mutate(sources[mut.module], mut)
    return mistake_gen.seeded_modules(mistake_gen.load_modules(sources))


# ------------------------------------------------------------------------- generation
def test_mutant_ids_are_unique():
    ids = [m.id for m in MUTANTS]
    assert len(ids) == len(set(ids))


def test_an_edit_that_no_longer_applies_fails_loudly():
    stale = Mutant("stale", "conv_layers", "conv_forward_naive", (("no such code", "x"),), "")
    with pytest.raises(MutantError, match="stale no longer applies"):
        mistake_gen.mutant_sources(stale)
    outside = Mutant("outside", "layers", "affine_forward", (("cache = (x, w, b)", "x"),), "")
    with pytest.raises(MutantError, match="0 times"):  # only solution regions may be edited
        mistake_gen.mutant_sources(outside)


def test_every_mutant_is_recognised_by_some_check(fresh):
    assert fresh["unrecognised"] == [], "mutants no check can tell from the reference"


def test_stored_signatures_are_fresh(fresh):
    """``grader/golden/expected/mistakes`` matches the reference (``python -m grader.mistakes.generate``)."""
    stored, arrays = mistakes._load(mistakes.SIGNATURES_DIR)
    assert stored.get("signatures"), "no stored signatures: run python -m grader.mistakes.generate"
    assert json.loads(json.dumps(fresh["signatures"])) == stored["signatures"]
    assert {k: v["sentence"] for k, v in fresh["mutants"].items()} == \
        {k: v["sentence"] for k, v in stored["mutants"].items()}
    again = mistake_gen.generate_signatures(all_cases(), out_dir=None)
    assert again["signatures"] == fresh["signatures"]  # deterministic
    for entries in stored["signatures"].values():
        for e in entries:
            for spec in e["outputs"].values():
                assert spec["key"] in arrays


def test_softmax_without_shift_needs_the_large_scores_check(fresh):
    """Only large scores tell it apart: the rubric must keep such a check."""
    assert fresh["mutants"]["softmax_no_max_shift"]["checks"] == ["softmax_loss.large"]


# ------------------------------------------------------------------------- naming
@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant_is_named_when_graded(mutant, expected, fresh):
    """Graded through the rubric: each failed check with a signature names this mistake."""
    mods = _mods(mutant)
    named, failed = [], []
    for cid in fresh["mutants"][mutant.id]["checks"]:
        with np.errstate(all="ignore"):  # overflowing softmax, t = 0 in Adam
            result = evaluate(CASES[cid], mods, expected.get(cid, {}))
        if result.status == "passed":
            continue  # e.g. a deterministic seed check: the mistake does not fail it
        failed.append(cid)
        assert result.details.get("mistake") == mutant.sentence, (
            f"{cid}: expected {mutant.sentence!r}, feedback {result.feedback!r}")
        assert result.feedback.startswith(mutant.sentence)
        named.append(cid)
    assert named, f"{mutant.id} failed no check with a signature"


# ------------------------------------------------------------------------- never wrongly
def _v(id, module, function, *edits):
    return Mutant(id, module, function, tuple(edits), "")


CORRECT_VARIANTS = {
    "reference": [],
    # float64 outputs for float32 inputs (what np.zeros gives nearly every student)
    "float64_outputs": [
        _v("a", "conv_layers", "conv_forward_naive",
           ("dtype=np.result_type(x, w, b)", "dtype=np.float64")),
        _v("b", "conv_layers", "conv_backward_naive",
           ("dx_pad = np.zeros_like(x_pad, dtype=np.result_type(x, dout))",
            "dx_pad = np.zeros(x_pad.shape)"),
           ("dw = np.zeros_like(w, dtype=np.result_type(w, dout))", "dw = np.zeros(w.shape)")),
        _v("c", "conv_layers", "max_pool_forward_naive", ("dtype=x.dtype", "dtype=np.float64")),
        _v("d", "conv_layers", "max_pool_backward_naive",
           ("dtype=np.result_type(x, dout)", "dtype=np.float64")),
    ],
    # the gradient goes to every tied maximum (the rubric's inputs have no ties)
    "pool_grad_to_all_ties": [
        _v("a", "conv_layers", "max_pool_backward_naive",
           (mutants._POOL_ROUTE, "mask = window == window.max()\n"
            "                    dx[n, c, hs : hs + ph, ws : ws + pw] += mask * dout[n, c, i, j]")),
    ],
    # other summation orders: differences at the 1e-16 level
    "einsum_conv_two_pass_variance": [
        _v("a", "conv_layers", "conv_forward_naive",
           ("np.sum(window * w[f]) + b[f]", 'np.einsum("chw,chw->", window, w[f]) + b[f]')),
        _v("b", "layers", "batchnorm_forward",
           ("var = x.var(axis=0)", "var = ((x - mu) ** 2).mean(axis=0)")),
    ],
    # (1, D) running statistics, which the rubric accepts with a note
    "running_stats_2d": [
        _v("a", "layers", "batchnorm_forward",
           ("running_mean = momentum * running_mean + (1 - momentum) * mu",
            "running_mean = (momentum * running_mean + (1 - momentum) * mu).reshape(1, -1)"),
           ("running_var = momentum * running_var + (1 - momentum) * var",
            "running_var = (momentum * running_var + (1 - momentum) * var).reshape(1, -1)")),
    ],
    # the softmax through a log-sum-exp written differently
    "softmax_logsumexp": [
        _v("a", "layers", "softmax_loss",
           ("log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))",
            "log_probs = x - (x.max(axis=1, keepdims=True) + "
            "np.log(np.exp(shifted).sum(axis=1, keepdims=True)))")),
    ],
}


@pytest.mark.parametrize("variant", list(CORRECT_VARIANTS))
def test_correct_solutions_are_never_told_they_made_a_mistake(variant, expected):
    """Every check: passed, no mistake named; and diagnose itself says nothing."""
    mods = _mods(*CORRECT_VARIANTS[variant])
    for case in all_cases():
        if case.timeout > 10:  # training-length check: covered end to end
            continue
        result = evaluate(case, mods, expected.get(case.id, {}))
        assert "mistake" not in result.details, (case.id, result.feedback)
        if variant != "running_stats_2d":
            assert result.status == "passed", (case.id, result.feedback)
        np.random.seed(0)
        with np.errstate(all="ignore"):
            outs = case.run(mods, case.make_inputs())
        assert mistakes.diagnose(case.id, outs) is None, case.id


@pytest.mark.parametrize("mutant_id, line", [
    ("dropout_p_is_drop", "mask = np.random.binomial(1, 1 - p, size=x.shape) / (1 - p)"),
    ("dropout_not_inverted", "mask = np.random.binomial(1, p, size=x.shape)"),
])
def test_dropout_mistakes_named_whatever_the_generator(mutant_id, line, expected):
    """Named from the kept fraction and scale, not from one particular random draw."""
    variant = _v("a", "layers", "dropout_forward",
                 ("mask = (np.random.rand(*x.shape) < p) / p", line))
    result = evaluate(CASES["dropout_forward.train"], _mods(variant),
                      expected.get("dropout_forward.train", {}))
    sentence = next(m.sentence for m in MUTANTS if m.id == mutant_id)
    assert result.status == "failed" and result.details.get("mistake") == sentence, \
        result.feedback


def test_diagnose_tolerates_garbage():
    assert mistakes.diagnose("no.such.check", {"out": np.zeros(3)}) is None
    cid = "conv_forward_naive.public"
    for junk in ({}, {"out": np.zeros(0)}, {"out": np.full((2, 3, 2, 2), np.nan)},
                 {"out": np.zeros((2, 3, 2, 2), dtype=bool)}, {"out": "text"}, {"out": None}):
        assert mistakes.diagnose(cid, junk) is None


# ------------------------------------------------------------------------- end to end
@pytest.mark.slow
def test_mutants_named_by_the_real_grader(tmp_path):
    """``python -m grader grade`` on each mutant: its failed checks carry the sentence."""
    summary, _ = mistakes._load(mistakes.SIGNATURES_DIR)

    def grade(m):
        sub = tmp_path / m.id
        sub.mkdir()
        for name, src in mistake_gen.mutant_sources(m).items():
            (sub / f"{name}.py").write_text(src)
        out = tmp_path / f"{m.id}.json"
        proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(sub), "--json",
                               str(out), "--no-compare"], cwd=tmp_path, capture_output=True,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return m, json.loads(out.read_text())

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(grade, MUTANTS))
    problems = []
    for m, res in results:
        checks = {c["id"]: c for c in res["checks"]}
        sig = summary["mutants"][m.id]["checks"]
        named = [cid for cid in sig if checks[cid]["status"] == "failed"
                 and m.sentence in checks[cid]["feedback"]]
        wrong = [(c["id"], c["feedback"][:80]) for c in res["checks"]
                 if c.get("details", {}).get("mistake") not in (None, m.sentence)]
        if not named:
            problems.append(f"{m.id}: not named on any of {sig}")
        if wrong:
            problems.append(f"{m.id}: other mistakes named: {wrong}")
    assert not problems, "\n".join(problems)
