"""The hidden training checks (:mod:`grader.checks.training`) as a pytest test: they record
their own verdicts (with the curves the report draws), as the rubric's cases do."""

from .training import check_training


def test_three_layer_convnet_trains_one_epoch(student, collector):
    results = check_training(student, dict(collector.results))
    for result in results:
        collector.record(result)
    failed = [f"{r.id}: {r.status}: {r.feedback}" for r in results if r.status != "passed"]
    assert not failed, "; ".join(failed)
