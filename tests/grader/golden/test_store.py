"""grader/golden/expected/ is in sync with the reference and the checks (else: `make expected`)."""

import numpy as np

from grader.checks import all_cases
from grader.golden import store as golden
from grader.golden.generate import generate


def test_expected_outputs_are_not_stale():
    expected, manifest = generate()
    stored, stored_manifest = golden.load()
    hint = "grader/golden/expected is stale: run `make expected`"
    assert stored_manifest["reference_sha256"] == manifest["reference_sha256"], hint
    # Output hashes are exact bits; the values themselves are compared below, within rounding.
    assert _without_output_hashes(stored_manifest["cases"]) == _without_output_hashes(
        manifest["cases"]
    ), hint
    for check_id, outs in expected.items():
        for name, value in outs.items():
            _assert_same(stored[check_id][name], value, (hint, check_id, name))


def _without_output_hashes(cases):
    """The manifest's cases with each output's ``sha256`` left out."""
    def strip(entry):
        if isinstance(entry, dict):
            return {k: strip(v) for k, v in entry.items() if k != "sha256"}
        return entry
    return {cid: {k: (strip(v) if k == "outputs" else v) for k, v in c.items()}
            for cid, c in cases.items()}


def _assert_same(stored, fresh, msg):
    """Equal up to floating-point summation order.

    The reference's sandwich layers run on the fast layers, whose BLAS calls may sum in
    another order on another CPU; a real change of the reference moves values far more than
    this (and changes ``reference_sha256`` above).
    """
    stored, fresh = np.asarray(stored), np.asarray(fresh)
    assert stored.shape == fresh.shape and stored.dtype == fresh.dtype, msg
    if np.issubdtype(fresh.dtype, np.floating):
        scale = float(np.max(np.abs(fresh))) if fresh.size else 0.0
        np.testing.assert_allclose(stored, fresh, rtol=1e-9, atol=1e-12 * scale, err_msg=str(msg))
    else:
        assert np.array_equal(stored, fresh), msg


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
