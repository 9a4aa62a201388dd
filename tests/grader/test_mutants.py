"""Each of our mutants loses exactly the checks it should, and no other."""

import pytest

from grader.api import grade

from .mutants import MUTANTS


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_loses_exactly_its_checks(mutant, make_submission):
    sub = make_submission(replace={mutant.module: [(mutant.old, mutant.new)]})
    r = grade(sub, compare=False)
    lost = {c.id for c in r.checks if c.score < c.max_score}
    assert lost == set(mutant.loses)
    for c in r.checks:
        if c.id in lost:
            assert c.feedback, c.id
