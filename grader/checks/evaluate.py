"""Turn one case run against the student into a :class:`~grader.result.CheckResult`.

A check's points are scored per function (DESIGN property 8, one mistake, one charge):

1. ``case.run`` calls the student; a call that fails stands in as a :class:`~.case.Failed`
   value for the outputs it did not produce, so the other functions' parts are still judged
   (``affine.public`` keeps the forward's share when only the backward raised).
2. Backward parts that failed are judged again on the cache the skeleton documents, built
   from the inputs (``case.fallback``): a backward pass that is right on it keeps its points,
   and the feedback names the forward pass as the reason.
3. Parts of a composite function (spatial batchnorm, sandwich layers, the network) that
   failed keep their points when they equal what the function's own logic gives with the
   student's building blocks (``case.composite``) and a block lost points in its own checks
   earlier in this grade: that block is charged, once, and the feedback says so.
4. Public checks also run a hidden twin input of the same shapes (``case.twinned``): an
   output earns its share only when it is right on both, so a copied table earns nothing.
5. A naive layer that called the provided fast layers scores 0 on the check
   (:mod:`.routing`), with the rule quoted.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from ..result import CheckResult
from ..sandbox import StudentError
from ..sandbox.protocol import clean_text
from .case import STATUS_OF_KIND, Failed, Part, ShapeError, short, twin_inputs
from .parts import agree, compare, failure_text, unusable_output
from .routing import NAIVE, NAIVE_RULE, broke_rule

__all__ = ["STATUS_OF_KIND", "evaluate"]
NOT_RETRIED = ("missing", "import_error", "missing_function")


def _run(case, student, inputs, runner=None):
    """``case.run`` (or ``runner``), with a failure of the whole run as Failed outputs."""
    runner = runner or case.run
    try:
        return runner(student, inputs)
    except StudentError as exc:
        failed = Failed(exc.kind, exc.message, case.function)
    except ShapeError as exc:
        failed = Failed("shape", str(exc), case.function)
    names = case.outputs or ("output",)
    return dict.fromkeys(names, failed)


def _judge(case, outs, inputs, judge=None):
    judge = judge or case.judge
    if set(outs) == {"output"} and isinstance(outs["output"], Failed):  # the whole run failed
        return [Part("output", False, message=failure_text(outs["output"]))]
    why = unusable_output(outs)
    if why:
        return [Part("output", False, message=why)]
    return judge(outs, inputs)


def _fallback(case, student, inputs, expected, outs, parts):
    """Judge the failed backward parts again on the documented cache (step 2)."""
    failed = [p for p in parts if not p.passed]
    seen = [v for v in outs.values() if isinstance(v, Failed)]
    if not failed or case.fallback is None or any(f.kind in NOT_RETRIED for f in seen):
        return parts
    again = _run(case, student, inputs, case.fallback)
    if case.judge is not None:
        retried = {p.name: p for p in _judge(case, again, inputs, case.fallback_judge)}
    else:
        retried = {p.name: p for p in compare(case, again, expected, [n for n in again
                                                                      if n in case.outputs])}
    result = []
    for p in parts:
        q = retried.get(p.name)
        own = outs.get(p.name)
        if p.passed or q is None or (case.judge is not None and not isinstance(own, Failed)):
            result.append(p)  # a property judged on the student's own pair stays judged
            continue
        who, doc = short(case.owner(p.name)), case.documented
        if isinstance(own, Failed) and own.kind == "upstream":
            root = own.root
            why = f"{short(root.function)} failed ({failure_text(root)})"
            good = (f"{why}, so {who} was judged on the documented cache {doc}, and it is "
                    f"right there: {short(root.function)} is charged, not {who}")
        else:
            why = f"with the cache your forward pass returned: {p.message}"
            good = (f"{who} is right on the documented cache {doc} ({why}): the cache your "
                    f"forward pass returns is not the documented one; {who} keeps its points")
        if q.passed:
            result.append(Part(p.name, True, q.error, q.threshold, good, p.function,
                               rescued=True))
        else:
            result.append(Part(p.name, False, q.error, q.threshold,
                               f"{q.message} (judged on the documented cache {doc}, because "
                               f"{why})", p.function))
    return result


def charged(prior, function):
    """Ids of the checks of this grade so far in which ``function`` lost points."""
    ids = []
    for r in (prior or {}).values():
        by_fn = (r.details or {}).get("by_function") or {}
        if function in by_fn:
            lost = by_fn[function]["score"] < by_fn[function]["max_score"] - 1e-9
        else:
            lost = function in (r.functions or ()) and r.score < r.max_score - 1e-9
        if lost:
            ids.append(r.id)
    return ids


def _raised_in_block(message, case):
    """Whether an error message's location (``"(layers.py, line 51)"``) is in a module of
    one of the case's blocks other than the composite's own module."""
    where = message.rsplit("(", 1)[-1]
    files = {f"{b.split('.')[0]}.py" for b in case.blocks} - {f"{case.module}.py"}
    return any(where.startswith(f"{f}, line ") for f in files)


def _composite(case, student, inputs, outs, parts, prior):
    """Keep the points of failed composite parts that are right given the blocks (step 3)."""
    if case.composite is None or all(p.passed for p in parts):
        return parts
    blame = {b: charged(prior, b) for b in case.blocks}
    blame = {b: ids for b, ids in blame.items() if ids}
    if not blame:
        return parts
    raised = None
    try:
        given = case.composite(student, inputs)
    except StudentError as exc:  # a block raised: the composite may raise the same, there
        given, raised = {}, exc.message
    except Exception:  # noqa: BLE001 - unusable block outputs: no second opinion
        return parts
    note = ", ".join(f"{short(b)} (lost points in {', '.join(ids)})" for b, ids in blame.items())
    result = []
    for p in parts:
        own = outs.get(p.name)
        same_error = raised is not None and isinstance(own, Failed) and \
            own.root.message == raised and _raised_in_block(raised, case)
        if not p.passed and (same_error or p.name in given and agree(own, given.get(p.name),
                                                                      case, p.name)):
            result.append(Part(p.name, True, None, None,
                               f"{p.name} is what {short(case.owner(p.name))} gives with your "
                               f"{note}" + (f" ({raised})" if same_error else "")
                               + ": charged there, not here", p.function, rescued=True))
        else:
            result.append(p)
    return result


def _follow(case, parts, prior):
    """Parts that keep their points because the check they follow was rescued (step 3)."""
    lead = (prior or {}).get(case.follows) if case.follows else None
    if lead is None or not lead.details.get("rescued") or lead.score < lead.max_score - 1e-9 \
            or all(p.passed for p in parts):
        return parts  # only a lead check fully right, some of it given the blocks
    result = []
    for p in parts:
        if not p.passed and (not case.follows_parts or p.name in case.follows_parts):
            result.append(Part(p.name, True, None, None, f"{p.name}: not charged here, since "
                               f"{case.follows} found the network right given your building "
                               f"blocks, which are charged in their own checks ({p.message})",
                               p.function, rescued=True))
        else:
            result.append(p)
    return result


def _judge_inputs(case, student, inputs, expected, prior):
    """Parts of one run (the case's inputs or their twin) and the failures met."""
    outs = _run(case, student, inputs)
    if case.judge is not None:
        parts = _judge(case, outs, inputs)
    else:
        parts = compare(case, outs, expected)
    parts = _fallback(case, student, inputs, expected, outs, parts)
    parts = _composite(case, student, inputs, outs, parts, prior)
    parts = _follow(case, parts, prior)
    failures = [v for v in outs.values() if isinstance(v, Failed)]
    return parts, outs, failures


def _merge_twin(parts, twin_parts):
    """An output passes only when it passed on the case's inputs and on the twin."""
    twin = {p.name: p for p in twin_parts}
    merged = []
    for p in parts:
        t = twin.get(p.name)
        if p.passed and t is not None and not t.passed:
            merged.append(Part(p.name, False, t.error, t.threshold,
                               f"right on the notebook's input but not on a hidden input of "
                               f"the same shapes ({t.message}): compute it, do not copy it",
                               p.function))
        else:
            merged.append(p)
    return merged


def _diagnose(case, outs):
    try:
        from ..mistakes import diagnose as mistakes
    except ImportError:
        return None
    except Exception as exc:  # noqa: BLE001 - a broken diagnosis must never stop grading
        print(f"grader: cannot load grader.mistakes.diagnose: {exc!r}", file=sys.stderr)
        return None
    try:
        arrays = {k: np.asarray(v) for k, v in outs.items()
                  if isinstance(v, (np.ndarray, int, float, np.generic))
                  and not isinstance(v, bool)}
        return mistakes.diagnose(case.id, dict(outs, **arrays))  # + Failed: its message
    except Exception as exc:  # noqa: BLE001 - a diagnosis bug must never stop grading
        print(f"grader: internal error in mistakes.diagnose({case.id}): {exc!r}",
              file=sys.stderr)
        return None


def _shares(case, parts):
    if case.judge is not None:
        return {p.name: case.points / len(parts) for p in parts}
    return case.shares()


def _by_function(case, parts, shares):
    """``{function: {"score", "max_score"}}``; with ``case.whole`` a function earns its share
    only when all its parts passed (a layer wrong on a whole geometry class)."""
    table = {}
    for p in parts:
        fn = p.function or case.owner(p.name)
        row = table.setdefault(fn, {"score": 0.0, "max_score": 0.0, "all": True})
        row["max_score"] = round(row["max_score"] + shares[p.name], 6)
        row["score"] = round(row["score"] + (shares[p.name] if p.passed else 0.0), 6)
        row["all"] = row["all"] and p.passed
    for row in table.values():
        if case.whole and not row.pop("all"):
            row["score"] = 0.0
        row.pop("all", None)
    return table


def _status(parts, failures):
    failed = [p for p in parts if not p.passed]
    if not failed:
        return "passed"
    kinds = {f.root.status for f in failures}
    return kinds.pop() if len(kinds) == 1 and len(failed) == len(parts) else "failed"


def evaluate(case, student, expected, prior=None):
    """Run ``case`` against ``student`` and judge it.

    Parameters
    ----------
    case : Case
    student : object
        The student's modules (sandbox proxy, :class:`~.routing.RoutedModules`).
    expected : dict of str to ndarray
        This case's stored outputs (empty for property checks); ``"twin:<output>"`` for the
        hidden twin input.
    prior : dict of str to CheckResult, optional
        The verdicts of the checks graded before this one (who is charged for a block).

    Returns
    -------
    CheckResult
    """
    start = time.perf_counter()
    base = dict(id=case.id, name=case.name, max_score=case.points, visibility=case.visibility,
                group=case.module, functions=list(case.functions))
    sandboxes = getattr(student, "sandboxes", None) or (
        [student.sandbox] if getattr(student, "sandbox", None) is not None else [])
    for sb in sandboxes:
        sb.timeout = getattr(sb, "timeout_override", None) or case.timeout
        sb.check_deadline = time.monotonic() + case.budget
    try:
        parts, outs, failures = _judge_inputs(case, student, case.make_inputs(), expected,
                                              prior)
        if case.twinned and not all(isinstance(v, Failed) for v in outs.values()):
            twin = {k[5:]: v for k, v in expected.items() if k.startswith("twin:")}
            tparts, _, tfail = _judge_inputs(case, student, twin_inputs(case), twin, prior)
            parts, failures = _merge_twin(parts, tparts), failures + tfail
    except Exception as exc:  # noqa: BLE001 - e.g. a judge meeting values it cannot use
        why = f"could not judge the result ({type(exc).__name__}: {exc})"
        return CheckResult(score=0.0, status="failed", feedback=clean_text(why, 300),
                           seconds=round(time.perf_counter() - start, 3), **base)
    finally:
        for sb in sandboxes:
            sb.check_deadline = None
    seconds = round(time.perf_counter() - start, 3)
    rule = [f for f in failures if short(f.function) in NAIVE and f.kind != "upstream"
            and f.function in case.functions and broke_rule(f.message)]
    if rule:
        return CheckResult(score=0.0, status="failed", seconds=seconds, feedback=clean_text(
            f"{short(rule[0].function)} called the provided fast layers: {NAIVE_RULE}. The "
            "check scores 0.", 1000), details={"rule_broken": True, "by_function": {
                fn: {"score": 0.0, "max_score": round(pts, 6)}
                for fn, pts in case.function_points().items()}}, **base)
    shares = _shares(case, parts)
    by_function = _by_function(case, parts, shares)
    score = round(sum(row["score"] for row in by_function.values()), 6)
    failed = [p for p in parts if not p.passed]
    measured = [p for p in (failed or parts) if p.error is not None and p.threshold]
    worst = max(measured, key=lambda p: p.error / p.threshold) if measured else None
    notes = [p.message for p in parts if p.passed and p.message and (case.judge is None
                                                                        or p.rescued)]
    feedback = "; ".join(dict.fromkeys([p.message for p in failed if p.message] + notes))
    details = {"parts": {p.name: {"passed": p.passed, "error": p.error,
                                  "threshold": p.threshold} for p in parts},
               "by_function": by_function}
    if any(p.rescued for p in parts):
        details["rescued"] = [p.name for p in parts if p.rescued]
    if failed and case.composite is None and case.blocks:  # a cache of the student's own
        feedback += "".join(
            f" ({short(case.function)} could not be judged apart from {short(b)}, whose cache "
            f"it uses and which lost points in {', '.join(charged(prior, b))})"
            for b in case.blocks if charged(prior, b))
    if failed and case.whole and len(failed) < len(parts):
        feedback += (" (on a hidden geometry check a function earns its points only when all "
                     "its outputs are right)")
    if failed:
        feedback = f"{feedback} [{case.describe}]" if case.describe else feedback
        mistake = _diagnose(case, outs)
        if mistake:
            feedback = f"{mistake} {feedback}"
            details["mistake"] = mistake
    return CheckResult(score=score, status=_status(parts, failures),
                       feedback=clean_text(feedback.strip(), 1000),
                       error=worst.error if worst else None,
                       threshold=worst.threshold if worst else None, details=details,
                       seconds=seconds, **base)
