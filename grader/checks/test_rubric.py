"""Every declared case as a pytest test (points, tolerance and visibility on the case)."""

import pytest

from . import all_cases
from .evaluate import evaluate

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case, student, expected, collector):
    result = evaluate(case, student, expected.get(case.id, {}), prior=collector.results)
    collector.record(result)
    assert result.status == "passed", f"{result.status}: {result.feedback}"
