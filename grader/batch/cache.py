"""The batch cache: an entry whose content, grader and options are unchanged is not regraded.

``OUT/cache.json`` maps each entry of DIR to the :func:`cache_key` it was graded under; the
row is rebuilt from the student's stored JSON report.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import grader
from grader.reports.csv import GradebookRow
from grader.result import Result

from .job import DEFAULT_GRADE
from .names import safe_filename


def content_hash(path: Path) -> str:
    """SHA-256 over a submission's file names and bytes (a zip: over its bytes)."""
    h = hashlib.sha256()
    if path.is_dir():
        for f in sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink()):
            h.update(f.relative_to(path).as_posix().encode() + b"\0")
            h.update(os.readlink(f).encode() if f.is_symlink() else f.read_bytes())
            h.update(b"\0")
    elif path.is_file():
        h.update(path.read_bytes())
    return h.hexdigest()


def cache_key(digest: str, options: dict, grade_func: str = DEFAULT_GRADE) -> str:
    """What must be unchanged for a cached grade to be reused: the submission, the grader's
    version, code and stored outputs (:func:`grader.api.grader_fingerprint`), the options."""
    from grader.api import grader_fingerprint

    opts = json.dumps([options, grade_func], sort_keys=True)
    return (f"{digest}:{grader.__version__}:{grader_fingerprint()[:16]}:"
            f"{hashlib.sha256(opts.encode()).hexdigest()[:12]}")


def load_cache(out: Path) -> dict:
    try:
        return json.loads((out / "cache.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def cached_row(entry_name: str, name: str, key: str, cache: dict,
                out: Path) -> GradebookRow | None:
    """The cached row of the submission ``entry_name`` (its file or folder name in DIR),
    when its content, grader and options are unchanged and it still has the same student
    name (hence the same report files)."""
    entry = cache.get(entry_name)
    if not entry or entry.get("key") != key or entry.get("student", name) != name:
        return None
    if entry.get("reason") is not None:
        return GradebookRow(name, None, entry["reason"])
    try:
        text = (out / "students" / f"{safe_filename(name)}.json").read_text(encoding="utf-8")
        return GradebookRow(name, Result.from_dict(json.loads(text)))
    except (OSError, ValueError, TypeError):
        return None
