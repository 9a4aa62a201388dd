"""grade(): the reference scores full marks, the skeleton zero, runs are reproducible."""

import pytest

from grader.api import grade
from grader.checks import all_cases


@pytest.fixture(scope="module")
def reference_result(reference_dir):
    return grade(reference_dir)


def test_reference_scores_full_marks(reference_result):
    r = reference_result
    bad = [(c.id, c.status, c.feedback) for c in r.checks if c.status != "passed"]
    assert not bad
    assert r.score == r.max_score > 0


def test_every_declared_case_has_one_verdict(reference_result):
    ids = [c.id for c in reference_result.checks]
    assert len(ids) == len(set(ids))
    assert {c.id for c in all_cases()} <= set(ids)


def test_reference_passes_with_wide_margin(reference_result):
    # Compared outputs: 100x below the threshold (10x against the notebooks' 8-digit tables);
    # statistical checks (dropout) sit at ~6 sigma instead.
    margin = {c.id: 10 if c.published else 100 for c in all_cases() if c.outputs}
    for c in reference_result.checks:
        if c.id in margin and c.error is not None and c.threshold:
            assert c.error <= c.threshold / margin[c.id], (c.id, c.error, c.threshold)


def test_every_student_function_is_covered(reference_result):
    """Every judged function appears in the JSON's ``functions`` (the enumeration of the
    student modules against the declared cases is tests/grader/checks/test_rubric_shape.py)."""
    judged = {fn for c in reference_result.checks for fn in c.functions}
    declared = {fn for c in all_cases() for fn in c.functions}
    assert declared <= judged
    assert {"layers.relu_backward", "layer_utils.affine_relu_backward"} <= judged
    for c in reference_result.checks:
        by_fn = c.details.get("by_function", {})
        assert set(by_fn) <= set(c.functions), c.id
        if by_fn:
            assert sum(v["max_score"] for v in by_fn.values()) == pytest.approx(c.max_score)


def test_skeleton_scores_zero_with_not_implemented(skeleton_dir):
    r = grade(skeleton_dir, compare=False)
    assert r.score == 0
    for c in r.checks:
        assert c.status in ("failed", "error"), c.id
        assert "not implemented" in c.feedback, (c.id, c.feedback)


def test_two_runs_identical(reference_dir, make_submission):
    bias = "out[n, f, i, j] = np.sum(window * w[f])"
    sub = make_submission(replace={"conv_layers": [(f"{bias} + b[f]", bias)]})
    a, b = (grade(sub, compare=False) for _ in range(2))
    strip = lambda r: [(c.id, c.score, c.status, c.feedback, c.error) for c in r.checks]  # noqa
    assert strip(a) == strip(b)
    assert a.submission_hash == b.submission_hash and a.environment == b.environment


def test_missing_file_costs_only_its_checks(make_submission):
    r = grade(make_submission(drop=("optim",)), compare=False)
    for c in r.checks:
        if c.group == "optim":
            assert c.status == "missing" and c.score == 0 and "missing" in c.feedback
        else:
            assert c.status == "passed", (c.id, c.feedback)


def test_importing_the_reference_gets_nothing(make_submission):
    evil = ("from assignment.reference.conv_layers import *  # noqa\n")
    r = grade(make_submission(conv_layers=evil), compare=False)
    conv = [c for c in r.checks if c.group == "conv_layers"]
    assert conv and all(c.score == 0 for c in conv)
    assert "assignment.reference" in conv[0].feedback


def test_naive_vs_fast_in_extra(reference_result):
    nvf = reference_result.extra["naive_vs_fast"]
    for layer in ("conv", "pool"):
        assert nvf[layer]["forward_error"] < 1e-9
        assert nvf[layer]["forward_speedup"] > 0


def test_a_hanging_function_costs_only_its_check(make_submission):
    sub = make_submission(replace={"layers": [(
        "    correct = x[np.arange(N), y][:, None]",
        "    while N:\n        pass\n    correct = x[np.arange(N), y][:, None]")]})
    r = grade(sub, compare=False, timeout=1.0)
    by_id = {c.id: c for c in r.checks}
    assert by_id["svm_loss.public"].status == "timeout"
    assert all(c.status == "passed" for i, c in by_id.items() if i != "svm_loss.public")


def test_endless_loops_everywhere_end_within_the_budget(make_submission):
    import time
    loops = "\n".join(f"def {name}(*a, **k):\n    while True:\n        pass\n" for name in (
        "affine_forward", "affine_backward", "relu_forward", "relu_backward",
        "batchnorm_forward", "batchnorm_backward", "dropout_forward", "dropout_backward",
        "svm_loss", "softmax_loss"))
    start = time.monotonic()
    r = grade(make_submission(layers=loops), compare=False, timeout=0.5, budget=3.0)
    assert time.monotonic() - start < 20
    for c in r.checks:
        if c.group == "layers":
            assert c.status == "timeout" and c.score == 0, c.id


def test_hanging_import_marks_only_that_module(make_submission):
    r = grade(make_submission(optim="import time\ntime.sleep(100)\n"), compare=False,
              timeout=1.0)
    for c in r.checks:
        assert (c.status == "error") == (c.group == "optim"), (c.id, c.status)
        if c.group == "optim":
            assert "importing optim.py" in c.feedback


def test_a_submission_cannot_rewrite_the_rubric_for_the_next_one(make_submission, reference_dir):
    """Dict arguments come back with what the student left in them; the rubric's shared
    param dicts must not be among them, or one submission changes the next one's grade."""
    import copy

    from grader import compare
    from grader.checks import cases_net

    before = copy.deepcopy((cases_net.CONV, cases_net.POOL, compare.SHAPES))
    vandal = "    cache = (conv_cache, relu_cache)\n    conv_param.clear()\n"
    sub = make_submission(replace={
        "layer_utils": [("    cache = (conv_cache, relu_cache)\n", vandal)],
        "conv_layers": [("    cache = (x, w, b, conv_param)\n",
                         "    cache = (x, w, b, dict(conv_param))\n    conv_param['pad'] = 7\n")]})
    grade(sub)
    assert (cases_net.CONV, cases_net.POOL, compare.SHAPES) == before
    after = grade(reference_dir)
    assert after.score == after.max_score


def test_json_report_declares_the_functions_each_check_judges(reference_result):
    import json

    from grader.reports import json_report
    checks = {c["id"]: c for c in json.loads(json_report.dumps(reference_result))["checks"]}
    assert checks["affine.public"]["functions"] == ["layers.affine_forward",
                                                    "layers.affine_backward"]
    assert checks["affine.public"]["details"]["by_function"]["layers.affine_backward"] == {
        "score": 2.25, "max_score": 2.25}
    assert all(c["functions"] for i, c in checks.items())  # every .py check names its own
