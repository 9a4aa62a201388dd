"""The rubric: every check of the assignment, as data and as pytest tests.

Cases as data
-------------
:func:`all_cases` returns the declared :class:`~grader.checks.case.Case` objects, in report
order. Each has

- ``.id`` (``"conv_forward_naive.public"``), ``.name``, ``.points``, ``.visibility``;
- ``.function``: the student function under test, ``"module.function"``
  (``"conv_layers.conv_forward_naive"``);
- ``.make_inputs()``: a dict of seeded inputs (same values on every call);
- ``.run(mods, inputs)``: runs the function(s) through ``mods``, any object with the five
  student modules as attributes (``mods.conv_layers.conv_forward_naive``); returns a dict of
  named outputs. ``mods`` can be the real reference modules, a mutant copy, or the sandbox
  proxy (:class:`grader.sandbox.StudentModules`);
- ``.outputs``: the names compared with the stored expected values (empty for property
  checks, which declare ``.judge`` instead), with ``.tolerance``/``.tol(name)`` and
  ``.metric``;
- ``.functions``: every student function the check judges (``.owner(output)`` says whose
  each output is, ``.function_points()`` each one's share), reported as ``functions`` and
  ``details["by_function"]`` of the :class:`~grader.result.CheckResult`;
- ``.fallback`` (a backward pass on the documented cache) and ``.composite`` (a composite's
  outputs given the student's own building blocks, :mod:`.composites`): the second
  opinions :func:`grader.checks.evaluate.evaluate` asks before charging a function for a
  mistake of another (one mistake, one charge).

:mod:`grader.mistakes.generate` builds its signatures from these (``generate_signatures(cases)``)
and :func:`grader.checks.evaluate.evaluate` passes a failed check's outputs to
``grader.mistakes.diagnose.diagnose(check_id, outputs)``.

Cases as pytest tests
---------------------
``test_rubric.py`` turns every case into a test; ``conftest.py`` adds ``--submission PATH``
and the ``student`` fixture (a proxy whose calls run in the sandbox worker). An instructor
can also write a free-form check: a test marked
``@pytest.mark.check(id=..., points=..., visibility=..., function=...)`` that uses
``student``; it earns its points when it passes. ``pytest grader/checks --submission PATH``
shows pytest's own output; ``python -m grader grade PATH`` turns the outcomes into scores.
"""

from . import cases_conv, cases_layers, cases_net, cases_optim

_MODULES = (cases_layers, cases_conv, cases_net, cases_optim)


def all_cases():
    """Every declared case, in report order (layers, conv_layers, layer_utils/cnn, optim).

    Returns
    -------
    list of Case
    """
    cases = [c for m in _MODULES for c in m.CASES]
    ids = [c.id for c in cases]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"duplicate check ids: {sorted(dupes)}")
    return cases


def case_by_id(check_id):
    """The case with this id (``KeyError`` when unknown)."""
    for c in all_cases():
        if c.id == check_id:
            return c
    raise KeyError(check_id)
