"""The student-style corpus: each buggy entry is named with its kind, correct ones never.

Fast version: the rubric's checks run in this process on the corpus modules (our own test
code, trusted), with exceptions reported as the sandbox worker reports them. The slow
version grades every entry through :func:`grader.api.grade` and the real sandbox
(``tests/grader/mistakes/bench.py``, also ``make bench-mistakes``).
"""

from __future__ import annotations

import os
import random
import traceback
from types import SimpleNamespace

import numpy as np
import pytest

from grader.checks import all_cases
from grader.checks.evaluate import evaluate
from grader.golden import store as golden
from grader.mistakes import generate
from grader.mistakes.diagnose import kind_of_sentence
from grader.mistakes.kinds import SENTENCES
from grader.sandbox import StudentError

from .bench import judge, report, run, submission_sources
from .corpus import all_entries

ENTRIES = all_entries()
CASES = [c for c in all_cases() if c.timeout <= 10]  # training-length checks: in the bench


class _AsWorker:
    """Calls into corpus code the way the sandbox does them: a fresh seed before each call,
    an exception turned into ``StudentError("{type}: {message} (file, line N, in f)")``."""

    def __init__(self, target):
        object.__setattr__(self, "_t", target)

    def __getattr__(self, name):
        value = getattr(self._t, name)
        return _AsWorker(value) if callable(value) and not name.startswith("__") else value

    def __setattr__(self, name, value):
        setattr(self._t, name, value)

    def __call__(self, *args, **kwargs):
        np.random.seed(0)
        random.seed(0)
        try:
            value = self._t(*args, **kwargs)
        except NotImplementedError:
            raise StudentError("not_implemented", "not implemented") from None
        except Exception as exc:  # noqa: BLE001 - what the worker reports
            frames = traceback.extract_tb(exc.__traceback__)
            f = [f for f in frames if "grader-mutant-" in f.filename][-1]
            where = f" ({os.path.basename(f.filename)}, line {f.lineno}, in {f.name})"
            raise StudentError("exception", f"{type(exc).__name__}: {exc}{where}") from None
        return _AsWorker(value) if type(value).__module__.startswith("_grader_mutant_") \
            else value


def _grade_in_process(entry, expected):
    mods = generate.load_modules(submission_sources(entry))
    student = SimpleNamespace(**{m: _AsWorker(getattr(mods, m)) for m in generate.MODULES})
    checks = []
    prior = {}
    for case in CASES:
        with np.errstate(all="ignore"):
            result = evaluate(case, student, expected.get(case.id, {}), prior=prior)
        prior[case.id] = result
        checks.append({"id": case.id, "status": result.status,
                       "named": kind_of_sentence(result.feedback), "feedback": result.feedback})
    return {"id": entry.id, "kind": entry.kind, "target": entry.target, "checks": checks}


@pytest.fixture(scope="module")
def expected():
    return golden.load()[0]


def test_corpus_labels_are_known_kinds():
    assert {e.kind for e in ENTRIES} - {"correct"} <= set(SENTENCES)
    assert len({e.id for e in ENTRIES}) == len(ENTRIES)


def test_corpus_has_several_variants_of_each_kind():
    by_kind = {}
    for e in ENTRIES:
        by_kind.setdefault(e.kind, []).append(e)
    for kind, entries in by_kind.items():
        assert len(entries) >= 2, kind
    # correct variants in the styles real solutions use
    correct = " ".join(e.source for e in by_kind["correct"])
    for style in ("einsum", "np.pad", "sliding_window_view", "as_strided", "== np.max(win)",
                  "np.add.at", "binomial", "moveaxis"):
        assert style in correct, style


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_entry_is_named_in_process(entry, expected):
    row = _grade_in_process(entry, expected)
    named, wrong = judge(row)
    failed = [(c["id"], c["feedback"][:160]) for c in row["checks"] if c["status"] != "passed"]
    if entry.kind == "correct":
        assert not wrong and not failed, failed or wrong
    else:
        assert failed, f"{entry.id}: no check fails"
        assert not wrong, wrong
        assert named, f"{entry.id} ({entry.kind}) not named: {failed}"


@pytest.mark.slow
def test_corpus_benchmark_through_the_sandbox(capsys):
    """The numbers ``make bench-mistakes`` prints: >= 80% named, no wrong naming."""
    rows = run(ENTRIES, jobs=2)
    rate, wrong = report(rows)
    print(capsys.readouterr().out)
    assert rate >= 0.8
    assert not wrong
