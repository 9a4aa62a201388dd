"""Regenerate the student skeletons and notebooks from the reference (``make student``).

Generated, and committed so students and reviewers see them without running anything:

- ``assignment/student/<module>.py`` from ``assignment/reference/<module>.py``, solution
  regions replaced by ``YOUR CODE HERE`` stubs (:func:`tools.markers.strip_solutions`);
- ``assignment/student/__init__.py``;
- ``notebooks/student/<name>.ipynb`` from ``notebooks/solutions/<name>.ipynb``.

Run ``python -m tools.make_student --check`` to exit 1 when a committed file is stale.
Files in the generated folders that nothing generates any more are removed.
"""

import argparse
import sys
from pathlib import Path

import nbformat

from .markers import MarkerError, strip_solutions
from .student_notebook import dumps, student_notebook

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path("assignment/reference")
STUDENT = Path("assignment/student")
SOLUTION_NOTEBOOKS = Path("notebooks/solutions")
STUDENT_NOTEBOOKS = Path("notebooks/student")

STUDENT_INIT = '''\
"""Your implementation of the assignment: fill in every ``YOUR CODE HERE`` block.

These files were generated from the instructors' solutions with each solution replaced by
a stub that raises ``NotImplementedError``; signatures and docstrings are the contract the
grader checks, so change only the code inside the functions.
"""
'''


def generated_files(root=ROOT):
    """Compute every generated file in memory.

    Parameters
    ----------
    root : Path
        Repository root.

    Returns
    -------
    dict of Path to str
        Path relative to ``root`` -> file content.

    Raises
    ------
    MarkerError
        When a reference file or a solution notebook has malformed markers.
    """
    root = Path(root)
    files = {STUDENT / "__init__.py": STUDENT_INIT}
    for src in sorted((root / REFERENCE).glob("*.py")):
        if src.name == "__init__.py":
            continue
        rel = src.relative_to(root)
        text = src.read_text(encoding="utf-8")
        files[STUDENT / src.name] = strip_solutions(text, str(rel))
    for src in sorted((root / SOLUTION_NOTEBOOKS).glob("*.ipynb")):
        nb = nbformat.read(src, as_version=4)
        files[STUDENT_NOTEBOOKS / src.name] = dumps(student_notebook(nb, src.name))
    return files


def stale_files(root=ROOT):
    """Paths (relative to ``root``) whose committed content differs from a regeneration.

    Includes generated files that are missing and leftover files that nothing generates.
    """
    root = Path(root)
    files = generated_files(root)
    stale = [p for p, text in files.items() if _read(root / p) != text]
    stale += [p for p in _leftovers(root, files)]
    return sorted(stale)


def write(root=ROOT):
    """Write every generated file and delete leftovers; return the paths that changed."""
    root = Path(root)
    files = generated_files(root)
    changed = []
    for rel, text in files.items():
        path = root / rel
        if _read(path) != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(rel)
    for rel in _leftovers(root, files):
        (root / rel).unlink()
        print(f"removed {rel} (no longer generated)")
        changed.append(rel)
    return sorted(changed)


def _read(path):
    """File content, or None when the file does not exist."""
    return path.read_text(encoding="utf-8") if path.exists() else None


def _leftovers(root, files):
    """Generated-folder files (.py / .ipynb) that are no longer generated."""
    found = []
    for folder, pattern in ((STUDENT, "*.py"), (STUDENT_NOTEBOOKS, "*.ipynb")):
        for path in sorted((root / folder).glob(pattern)):
            rel = path.relative_to(root)
            if rel not in files:
                found.append(rel)
    return found


def main(argv=None):
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.make_student", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="only report stale files; exit 1 if any"
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = stale_files(args.root)
            for rel in stale:
                print(f"stale: {rel}")
            if stale:
                print("run `make student` to regenerate", file=sys.stderr)
            return 1 if stale else 0
        changed = write(args.root)
    except MarkerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for rel in changed:
        if (args.root / rel).exists():
            print(f"wrote {rel}")
    print(f"{len(changed)} file(s) changed" if changed else "student files are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
