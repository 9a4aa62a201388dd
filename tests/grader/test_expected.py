"""grader/expected/ is in sync with the reference and the checks (else: `make expected`)."""

import numpy as np

from grader import golden
from grader.checks import all_cases
from grader.expected_gen import generate


def test_expected_outputs_are_not_stale():
    expected, manifest = generate()
    stored, stored_manifest = golden.load()
    hint = "grader/expected is stale: run `make expected`"
    assert stored_manifest["reference_sha256"] == manifest["reference_sha256"], hint
    assert stored_manifest["cases"] == manifest["cases"], hint
    for check_id, outs in expected.items():
        for name, value in outs.items():
            assert np.array_equal(stored[check_id][name], value), (hint, check_id, name)


def test_every_compared_output_is_stored():
    stored, _ = golden.load()
    for case in all_cases():
        for name in case.outputs:
            assert name in stored.get(case.id, {}), (case.id, name)


def test_grading_does_not_import_the_reference():
    import subprocess
    import sys
    code = ("import sys, grader.api, grader.cli, grader.samples, grader.compare\n"
            "assert not [m for m in sys.modules if m.startswith('assignment.reference')]\n")
    subprocess.run([sys.executable, "-c", code], check=True)
