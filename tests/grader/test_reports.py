"""JSON, Gradescope and JUnit outputs are well-formed and agree with the result."""

import json
import xml.etree.ElementTree as ET

import pytest

from grader.cli import main
from grader.reports import console, gradescope
from grader.result import Result


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, reference_dir):
    out = tmp_path_factory.mktemp("reports")
    paths = {f: out / f"r.{f}" for f in ("json", "gradescope", "junit")}
    args = ["grade", str(reference_dir), "--no-compare"]
    for f, p in paths.items():
        args += [f"--{f}", str(p)]
    assert main(args) == 0
    return paths


def test_json_schema(outputs):
    d = json.loads(outputs["json"].read_text())
    for key in ("score", "max_score", "checks", "grader_version", "submission_hash",
                "environment", "seconds", "extra"):
        assert key in d
    assert d["score"] == d["max_score"] == sum(c["max_score"] for c in d["checks"])
    for c in d["checks"]:
        assert {"id", "name", "score", "max_score", "status", "feedback", "error",
                "threshold", "visibility", "seconds"} <= set(c)
        assert c["status"] in ("passed", "failed", "error", "timeout", "missing")
    assert Result.from_dict(d).score == d["score"]
    threads = d["environment"]["threads"]  # measured in the worker
    assert threads["env"]["OMP_NUM_THREADS"] == threads["env"]["OPENBLAS_NUM_THREADS"] == "1"
    assert threads["openblas"] in (1, None), threads  # None: numpy without OpenBLAS


def test_gradescope_results(outputs):
    d = json.loads(outputs["gradescope"].read_text())
    assert d["score"] == sum(t["max_score"] for t in d["tests"])
    for t in d["tests"]:
        assert t["status"] in ("passed", "failed")
        assert t["visibility"] in ("visible", "after_published")
        assert {"score", "max_score", "name", "number", "output"} <= set(t)
    assert any(t["visibility"] == "after_published" for t in d["tests"])


def test_junit_xml(outputs):
    root = ET.parse(outputs["junit"]).getroot()
    suite = root.find("testsuite")
    assert root.tag == "testsuites" and suite is not None
    assert int(suite.get("tests")) == len(suite.findall("testcase"))
    assert suite.get("failures") == "0"


def test_console_and_gradescope_on_a_failing_result():
    from grader.result import CheckResult
    r = Result("s", "0" * 64, "0.1.0", checks=[
        CheckResult("a.b", "A", 0.0, 2.0, "failed", "dx: error 1e+00 > 1e-06\x01", 1.0, 1e-6,
                    "hidden")])
    text = console.render(r)
    assert "0/2" in text and "total: 0/2" in text
    assert gradescope.results(r)["tests"][0]["visibility"] == "after_published"


def _check(cid, function, score, max_score, status, feedback="", error=None, threshold=None,
           visibility="public", parts=None, group=None):
    from grader.result import CheckResult
    c = CheckResult(cid, cid, score, max_score, status, feedback, error, threshold, visibility,
                    group=group or function.split(".")[0],
                    details={"parts": parts} if parts else {})
    c.functions = [function]  # what every declared check carries (CheckResult.functions)
    return c


NOT_DONE = "conv_forward_naive: not implemented (conv_layers.py, line 46)"
LONG = ("This looks like a convolution that never added the bias b to its output, so every "
        "output channel is off by its bias. out: error 1.0e+00 > 1e-06 [x (2,3,4,4), stride 2, "
        "pad 1] and the final words of the sentence")


def partial_result():
    """A partial submission: one unwritten function judged by five checks, one written,
    one with a long named mistake, one whose failure was a shape (its other part passed)."""
    checks = [_check(f"conv_forward_naive.c{i}", "conv_layers.conv_forward_naive", 0, 2,
                     "failed", NOT_DONE, visibility="hidden" if i else "public")
              for i in range(5)]
    checks += [
        _check("relu.public", "layers.relu_forward", 2, 2, "passed", error=1e-16,
               threshold=1e-6),
        _check("conv_backward_naive.public", "conv_layers.conv_backward_naive", 0, 4, "failed",
               LONG, error=1.0, threshold=1e-6),
        _check("batchnorm_forward.train", "layers.batchnorm_forward", 1, 3, "failed",
               "running_var has shape (3,); expected (5,)", error=5.8e-14, threshold=1e-6,
               parts={"out": {"passed": True, "error": 5.8e-14, "threshold": 1e-6},
                      "running_var": {"passed": False, "error": None, "threshold": 1e-6}}),
        _check("dropout_forward.train", "layers.dropout_forward", 0, 3, "failed",
               "mask: error 0.3 > 0.05", error=2e-17, threshold=1e-6,
               parts={"out": {"passed": True, "error": 2e-17, "threshold": 1e-6},
                      "mask": {"passed": False, "error": 0.3, "threshold": 0.05}}),
    ]
    return Result("partial", "0" * 64, "0.1.0", checks=checks, seconds=1.0)


def test_console_one_row_per_function_with_its_first_failure():
    text = console.render(partial_result(), width=100)
    assert text.count("not implemented") == 1, text  # five checks, one row
    row = next(line for line in text.splitlines() if line.rstrip().endswith(
        "conv_forward_naive"))
    assert row.split()[:3] == ["0/10", "failed", "0/5"], row
    assert "conv_forward_naive.c0: " + NOT_DONE in text  # the public failure, named
    assert "conv_layers.py  0/14" in text and "layers.py  3/8" in text  # per-file subtotals
    assert "total: 3/22" in text


def test_console_wraps_feedback_instead_of_cutting_it():
    text = console.render(partial_result(), width=80)
    assert "..." not in text
    assert " ".join(text.split()).count(" ".join(LONG.split())) == 1
    assert max(len(line) for line in text.splitlines() if "error / limit" not in line) <= 80


def test_console_error_column_shows_the_failing_part():
    """Not ``5.8e-14 / 1e-06 ... failed``: the error of a part that passed says nothing of
    why the check failed."""
    lines = console.render(partial_result(), width=100).splitlines()
    bn = next(line for line in lines if line.rstrip().endswith("batchnorm_forward"))
    assert "e-14" not in bn and bn.split()[:3] == ["1/3", "failed", "0/1"], bn
    drop = next(line for line in lines if line.rstrip().endswith("dropout_forward"))
    assert "3.0e-01 / 0.05" in drop and "e-17" not in drop, drop


def test_console_per_check_listing_and_public_view():
    full = console.render(partial_result(), width=100, checks=True)
    assert all(f"conv_forward_naive.c{i}" in full for i in range(5))
    public = console.render(partial_result(), width=100, show_hidden=False)
    assert "conv_forward_naive.c1" not in public and "0/8  hidden checks (4)" in public
    assert "total: 3/22" in public


def test_console_and_html_say_which_files_were_graded():
    from grader.reports import html

    r = partial_result()
    r.extra["layout"] = ("graded the handout's layout at cnn-assignment/: 5 file(s) from "
                         "cnn-assignment/assignment/student/")
    assert "note: graded the handout's layout at cnn-assignment/" in console.render(r)
    assert "from cnn-assignment/assignment/student/</p>" in html.render(r)
