"""Which entries of a folder are submissions, and the gradebook name of each."""

from __future__ import annotations

import re
from pathlib import Path


def discover(directory: Path, exclude: Path | None = None) -> list[Path]:
    """The submissions in ``directory``: every visible entry, sorted by name.

    Folders and zips are graded; any other file still gets a row (with a reason) so that
    no student silently disappears from the gradebook.
    """
    exclude = exclude.resolve() if exclude else None
    return sorted(
        p for p in Path(directory).iterdir()
        if not p.name.startswith((".", "_")) and p.resolve() != exclude
    )


def student_name(path: Path) -> str:
    """The gradebook name of a submission: folder name or zip stem."""
    return path.stem if path.suffix.lower() == ".zip" and path.is_file() else path.name


def student_names(paths) -> dict[Path, str]:
    """A unique gradebook name for every submission, stable from one run to the next.

    Usually :func:`student_name`. When two entries would share a name (``alice/`` and
    ``alice.zip``), or their report files would (``alice bob`` and ``alice_bob`` are both
    ``alice_bob.json``; ``Alice`` and ``alice`` on a case-insensitive disk), a zip keeps its
    ``.zip`` suffix, and any entry still clashing gets ``-2``, ``-3``... in name order, so
    no row, report or cache entry of one submission can stand for another's.
    """
    paths = sorted(paths, key=lambda p: p.name)

    def clash_key(name):
        return safe_filename(name).lower()

    names = {p: student_name(p) for p in paths}
    counts: dict[str, int] = {}
    for name in names.values():
        counts[clash_key(name)] = counts.get(clash_key(name), 0) + 1
    for p in paths:
        if counts[clash_key(names[p])] > 1 and names[p] != p.name:
            names[p] = p.name
    taken: set[str] = set()
    for p in paths:  # the first in name order keeps its name
        name, n = names[p], 1
        while clash_key(name) in taken:
            n += 1
            name = f"{names[p]}-{n}"
        names[p] = name
        taken.add(clash_key(name))
    return names


def safe_filename(name: str) -> str:
    """A file name for a student's reports (no separators, no leading dots)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or "_"
