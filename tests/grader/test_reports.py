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
