"""Each of our mutants loses exactly the checks it should, and no other."""

import pytest

from grader.api import grade

from .mutants import MUTANTS


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_loses_exactly_its_checks(mutant, make_submission):
    sub = make_submission(replace={mutant.module: [(mutant.old, mutant.new)]})
    r = grade(sub, compare=False)
    lost = {c.id for c in r.checks if c.score < c.max_score}
    assert lost == set(mutant.loses), [(c.id, c.score, c.feedback[:200]) for c in r.checks
                                       if c.id in lost ^ set(mutant.loses)]
    scores = {c.id: c.score for c in r.checks}
    for check_id, score in mutant.scores.items():
        assert scores[check_id] == pytest.approx(score), (check_id, scores[check_id])
    for c in r.checks:
        if c.id in lost:
            assert c.feedback, c.id
        by_fn = c.details.get("by_function")
        if by_fn:  # the check's points are the sum of its functions' parts
            assert sum(v["score"] for v in by_fn.values()) == pytest.approx(c.score), c.id
