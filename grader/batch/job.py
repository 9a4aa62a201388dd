"""One submission graded in its own process: ``python -m grader.batch.job --worker SUB OUT``.

:func:`grade_in_subprocess` starts that process (fresh interpreter, pinned BLAS threads,
small-data notebooks) with a wall-time limit and reads back plain JSON, so a submission that
crashes, hangs or exhausts memory costs only its own row. The local pool
(:mod:`grader.batch.run`) and the Dask workers (:mod:`grader.batch.cluster`) both use it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import grader

DEFAULT_GRADE = "grader.notebooks.grading:grade_with_notebooks"  # api.grade + notebook checks
NO_NOTEBOOKS_GRADE = "grader.api:grade"
DEFAULT_TIMEOUT = 900.0
EXIT_INVALID = 2  # grader exit status for "not a usable submission" (cached, not retried)
_THREAD_PINS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def grade_in_subprocess(path: Path, options: dict, timeout: float = DEFAULT_TIMEOUT,
                        grade_func: str = DEFAULT_GRADE) -> dict:
    """Grade one submission in a fresh ``python -m grader.batch.job`` process.

    Returns
    -------
    dict
        ``{"result": Result.to_dict()}`` or ``{"reason": str, "invalid": bool}``; never raises.
    """
    path = Path(path)
    if not (path.is_dir() or (path.is_file() and path.suffix.lower() == ".zip")):
        return {"reason": "not a submission: expected a folder or a .zip file", "invalid": True}
    env = dict(os.environ)
    for var in _THREAD_PINS:
        env.setdefault(var, "1")
    env.setdefault("ASSIGNMENT_SMALL_DATA", "1")
    # the grading process imports this very grader, whatever the current folder
    package_root = str(Path(grader.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory(prefix="grader-batch-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "grader.batch.job", "--worker", str(path), str(out),
               "--grade-func", grade_func, "--options", json.dumps(options)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env=env, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return {"reason": f"grading timed out after {timeout:g} s", "invalid": False}
        try:
            data = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            return {"reason": f"grader exited with status {proc.returncode}: {tail[0][:300]}",
                    "invalid": False}
    return data


def worker_main(argv: list[str]) -> int:
    """Body of the grading subprocess: grade, write JSON, exit 0/2/1."""
    p = argparse.ArgumentParser(prog="python -m grader.batch.job --worker")
    p.add_argument("--worker", nargs=2, metavar=("SUBMISSION", "OUT_JSON"), required=True)
    p.add_argument("--grade-func", default=DEFAULT_GRADE)
    p.add_argument("--options", default="{}")
    a = p.parse_args(argv)
    sub, out = a.worker
    module, _, func = a.grade_func.partition(":")
    try:
        grade = getattr(__import__(module, fromlist=[func]), func)
    except (ImportError, AttributeError) as exc:
        data, status = {"reason": f"grader unavailable: {exc}", "invalid": False}, 1
    else:
        try:
            result = grade(sub, **json.loads(a.options))
            data, status = {"result": result.to_dict()}, 0
        except Exception as exc:  # noqa: BLE001 -- every failure becomes the row's reason
            invalid = _is_invalid_submission(exc)
            data = {"reason": f"{type(exc).__name__}: {exc}"[:500], "invalid": invalid}
            status = EXIT_INVALID if invalid else 1
    tmp = Path(out + ".part")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.replace(out)
    return status


def _is_invalid_submission(exc: BaseException) -> bool:
    """True when the grader refused the input itself (bad zip, empty folder...)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"SubmissionError", "InvalidSubmission", "BadZipFile"})


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
