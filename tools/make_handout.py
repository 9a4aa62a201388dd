"""Build the student handout, ``dist/handout.zip`` (``make handout``).

What goes in is listed in :func:`handout_files`, every entry under one top folder
(:data:`TOP`): the generated skeletons and student notebooks (computed afresh from the
reference, so the zip can never hold a stale copy), the provided utilities, the fast-layer
sources and the student build files from ``tools/handout/``.

Before anything is written the contents are checked, and the build fails (exit status 1,
no zip) when the handout would hold a path under a ``reference``, ``grader`` or
``expected`` folder, or any non-trivial line of a solution region (from the reference
files or the solution notebooks). The zip is deterministic: sorted entries, fixed
timestamps and permissions, so rebuilding an unchanged handout gives identical bytes.
"""

import argparse
import re
import sys
import zipfile
from pathlib import Path

import nbformat

from .make_student import ROOT, SOLUTION_NOTEBOOKS, STUDENT, STUDENT_NOTEBOOKS, generated_files
from .markers import MarkerError, solution_lines

TOP = "cnn-assignment"
OUTPUT = Path("dist/handout.zip")
TEMPLATES = Path("tools/handout")
PROVIDED = ("implementation.py", "solver.py", "gradient_check.py", "data_utils.py", "vis_utils.py")
# bench.py compares with the reference and PyTorch: an instructor tool, not for students.
FAST_LAYER_EXCLUDE = {"bench.py"}
FAST_LAYER_SUFFIXES = {".py", ".pyx", ".pxd", ".h"}
FORBIDDEN_PARTS = {"reference", "grader", "expected"}

ASSIGNMENT_INIT = '''\
"""The convolutional networks assignment.

``student`` holds your code; ``fast_layers`` the provided im2col layers; ``solver``,
``gradient_check``, ``data_utils`` and ``vis_utils`` are provided complete.
"""

__version__ = "{version}"
'''
TOOLS_INIT = (
    '"""Helpers: ``python -m tools.run_notebooks`` (make check), '
    '``python -m tools.make_submission`` (make submission)."""\n'
)

# A solution line this plain says nothing about the solution: an unpacking of a name or a
# shape (``x, w, b = cache``, ``N, C, H, W = x.shape``), a bare loop over a range, a
# closing bracket. Everything else inside a region must stay out of the handout.
_TRIVIAL = [
    re.compile(r"^[\W_]*$"),
    re.compile(r"^[\w, ]+=\s*[\w.]+$"),
    re.compile(r"^for \w+ in range\(\w+\):$"),
]


def normalize(line):
    """A line as compared: surrounding space and comment signs removed, so a solution line
    pasted in as a comment still counts."""
    return line.strip().lstrip("#").strip()


def is_trivial(line):
    """True for a stripped solution line too plain to reveal anything (see ``_TRIVIAL``)."""
    return any(p.match(line) for p in _TRIVIAL)


def forbidden_lines(root=ROOT):
    """Normalised, non-trivial lines of every solution region, reference and notebooks.

    Returns
    -------
    set of str
    """
    root = Path(root)
    found = []
    for path in sorted((root / "assignment" / "reference").glob("*.py")):
        found += solution_lines(path.read_text(encoding="utf-8"), str(path.relative_to(root)))
    # A notebook's solution cell repeats set-up lines the cells around it show openly
    # (``solver.train()``); those are public, the rest of the region is not.
    notebook_found, notebook_public = [], set()
    for path in sorted((root / SOLUTION_NOTEBOOKS).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            inside = solution_lines(cell.source, f"{path.name} cell {index}")
            notebook_found += inside
            if not inside:
                notebook_public.update(line.strip() for line in cell.source.splitlines())
    found += [line for line in notebook_found if line.strip() not in notebook_public]
    return {s for s in map(normalize, found) if not is_trivial(s)}


def text_lines(name, data):
    """Normalised lines of one handout file; notebooks contribute cell sources and outputs."""
    text = data.decode("utf-8")
    if name.endswith(".ipynb"):
        nb = nbformat.reads(text, as_version=4)
        parts = [cell.source for cell in nb.cells]
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                parts.append(str(out.get("text", "")))
                parts.append(str(out.get("data", {}).get("text/plain", "")))
        text = "\n".join(parts)
    return [normalize(line) for line in text.splitlines()]


def handout_files(root=ROOT):
    """Every file of the handout.

    Parameters
    ----------
    root : Path
        Repository root.

    Returns
    -------
    dict of str to bytes
        Path inside the handout (posix, without the top folder) -> content.

    Raises
    ------
    FileNotFoundError
        When a provided utility, the fast layers or a template is missing.
    """
    root = Path(root)
    files = {}
    version = _version(root)
    files["assignment/__init__.py"] = ASSIGNMENT_INIT.format(version=version).encode()
    for name in PROVIDED:
        files[f"assignment/{name}"] = _read(root / "assignment" / name)
    fast = root / "assignment" / "fast_layers"
    sources = [
        p for p in sorted(fast.iterdir())
        if p.suffix in FAST_LAYER_SUFFIXES and p.name not in FAST_LAYER_EXCLUDE
    ]
    if not any(p.suffix == ".pyx" for p in sources):
        raise FileNotFoundError(f"no .pyx source in {fast}")
    for path in sources:
        files[f"assignment/fast_layers/{path.name}"] = _read(path)
    for rel, text in generated_files(root).items():
        if rel.parent == STUDENT:
            files[f"assignment/student/{rel.name}"] = text.encode()
        elif rel.parent == STUDENT_NOTEBOOKS:
            files[f"notebooks/{rel.name}"] = text.encode()
    files["tools/__init__.py"] = TOOLS_INIT.encode()
    files["tools/run_notebooks.py"] = _read(root / "tools" / "run_notebooks.py")
    files["tools/make_submission.py"] = _read(root / TEMPLATES / "make_submission.py")
    for name in ("README.md", "Makefile", "setup.py", "pyproject.toml"):
        files[name] = _read(root / TEMPLATES / name)
    files["constraints.txt"] = _read(root / "constraints.txt")  # the grader's numpy pin
    return files


def problems(files, root=ROOT):
    """What would make the handout unsafe to give out.

    Parameters
    ----------
    files : dict of str to bytes
        As returned by :func:`handout_files`.

    Returns
    -------
    list of str
        One message per problem; empty when the handout is clean.
    """
    found = []
    forbidden = forbidden_lines(root)
    for name, data in sorted(files.items()):
        parts = set(Path(name).parts[:-1]) | {Path(name).stem}
        if parts & FORBIDDEN_PARTS:
            found.append(f"{name}: path names {sorted(parts & FORBIDDEN_PARTS)}")
        if name.endswith((".npz", ".npy", ".pkl", ".so", ".c")):
            found.append(f"{name}: stored data or build output")
            continue
        if "assignment.reference" in data.decode("utf-8", errors="replace"):
            found.append(f"{name}: mentions assignment.reference")
        for lineno, line in enumerate(text_lines(name, data), start=1):
            if line in forbidden:
                found.append(f"{name}:{lineno}: solution line {line!r}")
    return found


def write_zip(files, path):
    """Write ``files`` under :data:`TOP` into a deterministic zip at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{TOP}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[name])
    tmp.replace(path)  # never leave a half-written handout behind


def build(root=ROOT, output=None):
    """Check and write the handout; return its path.

    Raises
    ------
    ValueError
        Listing every problem found by :func:`problems` (nothing is written).
    """
    root = Path(root)
    output = Path(output) if output else root / OUTPUT
    files = handout_files(root)
    found = problems(files, root)
    if found:
        raise ValueError("the handout would leak:\n  " + "\n  ".join(found))
    write_zip(files, output)
    return output


def _read(path):
    if not path.is_file():
        raise FileNotFoundError(f"handout file missing: {path}")
    return path.read_bytes()


def _version(root):
    match = re.search(r'__version__ = "([^"]+)"', (root / "assignment" / "__init__.py").read_text())
    return match.group(1) if match else "0"


def main(argv=None):
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.make_handout", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    parser.add_argument("-o", "--output", type=Path, help=f"zip to write (default {OUTPUT})")
    args = parser.parse_args(argv)
    try:
        path = build(args.root, args.output)
    except (ValueError, FileNotFoundError, MarkerError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    print(f"wrote {path} ({len(names)} files, {path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
