"""Free-form checks (``grader/checks/test_freeform.py``) give feedback in the declared
checks' form: what was compared, the measured error against the threshold, the inputs."""

import pytest

from grader.api import grade
from grader.checks.plugin import Mismatch, _feedback
from grader.samples import reference_sources

FREEFORM = "conv_forward_naive.batch"
DESCRIBED = "[x (3,2,5,5), w (2,2,3,3), stride 1, pad 1; the batch, then each sample alone]"


def _freeform(make_submission, wrapper):
    """The free-form check's verdict on the reference conv wrapped by ``wrapper``."""
    source = reference_sources()["conv_layers"] + (
        "\n\n_reference_conv = conv_forward_naive\n\n\n"
        "def conv_forward_naive(x, w, b, conv_param):\n"
        "    out, cache = _reference_conv(x, w, b, conv_param)\n"
        f"    {wrapper}\n"
        "    return out, cache\n")
    result = grade(make_submission(conv_layers=source), compare=False,
                   pytest_args=("-k", "consistency"))
    (check,) = [c for c in result.checks if c.id == FREEFORM]
    return check


def test_wrong_output_names_the_part_error_and_threshold(make_submission):
    check = _freeform(make_submission, "out = out * 0")
    assert check.status == "failed" and check.score == 0
    assert check.feedback.startswith("out: error 1.0e+00 > 1e-08 (compared with an "
                                     "independent convolution of the batch)")
    assert check.feedback.endswith(DESCRIBED)
    assert "AssertionError" not in check.feedback
    assert (check.error, check.threshold) == (1.0, 1e-8)
    assert check.details["parts"]["out"]["passed"] is False


def test_the_failing_part_is_measured_not_the_one_that_passed(make_submission):
    """Right on the whole batch, wrong for a sample alone: the error shown is the sample's."""
    check = _freeform(make_submission, "out = out + (x.shape[0] == 1)")
    assert check.feedback.startswith("sample 0: error 1.0e+00 > 1e-09 (its output alone "
                                     "differs from its output within the batch)"), \
        check.feedback
    assert (check.error, check.threshold) == (1.0, 1e-9)
    assert check.details["parts"]["out"]["passed"] is True


def test_a_wrong_shape_is_said_without_an_error(make_submission):
    check = _freeform(make_submission, "out = out[:, :, 1:-1, 1:-1]")
    assert check.feedback.startswith("out has shape (3, 2, 3, 3); expected (3, 2, 5, 5)")
    assert check.error is None and check.threshold is None


def test_a_passing_check_records_its_errors(reference_dir):
    result = grade(reference_dir, compare=False, pytest_args=("-k", "consistency"))
    (check,) = [c for c in result.checks if c.id == FREEFORM]
    assert check.status == "passed" and check.threshold == 1e-8 and check.error < 1e-12
    assert set(check.details["parts"]) == {"out", "sample 0", "sample 1", "sample 2"}


@pytest.mark.parametrize(("exc", "said"), [
    (Mismatch("out: error 1.0e+00 > 1e-08"), "out: error 1.0e+00 > 1e-08"),
    (AssertionError("out is not the convolution of x\nassert 1.0 < 1e-08"),
     "out is not the convolution of x"),
    (AssertionError("assert 1.0 < 1e-08\n +  where 1.0 = rel_error(...)"),
     "a condition of the check does not hold"),
    (TypeError("'NoneType' object is not subscriptable"),
     "TypeError: 'NoneType' object is not subscriptable"),
])
def test_plain_assertions_lose_their_wrapping(exc, said):
    """An instructor's own free-form check that uses bare ``assert``."""
    assert _feedback(exc, None) == said
