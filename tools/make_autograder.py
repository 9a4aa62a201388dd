"""Build ``dist/autograder.zip`` for Gradescope (``make autograder``).

Layout (Gradescope unpacks it into ``/autograder/source``)::

    setup.sh  run_autograder  run.py  requirements-autograder.txt
    setup.py  pyproject.toml  README.md        (to compile the fast layers in setup.sh)
    grader/                                    (with grader/golden/expected/: the stored outputs)
    assignment/  __init__, provided utilities, fast_layers sources, student skeleton
    notebooks/student/                         (the release notebooks: locked cells are
                                                restored from them; no solution in them)

Never ``assignment/reference/`` nor the tools that read it (expected/sample generators,
benchmarks): the bundle grades against the stored expected outputs only. The zip is
deterministic (sorted entries, fixed timestamps) and the build fails loudly when a required
file is missing.

``python -m tools.make_autograder [--out dist/autograder.zip]``
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "autograder"
EXECUTABLE = {"setup.sh", "run_autograder"}
PROJECT_FILES = ("setup.py", "pyproject.toml", "README.md")
PROVIDED = ("__init__.py", "implementation.py", "solver.py", "gradient_check.py",
            "data_utils.py", "vis_utils.py")
# grader modules that read or quote assignment/reference (generators, benchmarks): left out
GRADER_EXCLUDE = {"golden/generate.py", "mistakes/generate.py", "mistakes/mutants.py",
                  "samples.py", "bench.py", "batch/bench.py",
                  # the similarity benchmark writes whole solutions in many styles
                  "similarity/bench.py", "similarity/bench_corpus.py",
                  "similarity/bench_styles.py", "similarity/bench_styles_net.py",
                  # trains the reference to set the training check's thresholds
                  "checks/training_calibrate.py"}
REQUIRED = ("grader/api.py", "grader/golden/expected/manifest.json", "assignment/fast_layers/__init__.py",
            "notebooks/student/CNN.ipynb")
REQUIREMENTS = """\
{numpy}
matplotlib>=3.7
pytest>=8
Cython>=3.0
nbclient>=0.10
nbformat>=5.9
ipykernel>=6.29
scikit-learn>=1.3
"""


def numpy_pin(root: Path = ROOT) -> str:
    """The ``numpy==X`` line of ``constraints.txt``: the grader runs the students' numpy."""
    pins = [line.strip() for line in (root / "constraints.txt").read_text().splitlines()
            if line.strip().startswith("numpy==")]
    if len(pins) != 1:
        raise ValueError(f"constraints.txt should pin numpy exactly once, found {pins}")
    return pins[0]


_SKIP_DIRS = {"__pycache__", ".pytest_cache", "reference", "datasets"}
FAST_LAYERS_EXCLUDE = {"bench.py"}  # a benchmark, not needed to grade
_SKIP_SUFFIXES = {".so", ".pyc", ".pyd", ".o"}


class BundleError(Exception):
    """The bundle cannot be built (a required file is missing)."""


def _tree(folder: Path, prefix: str, exclude=frozenset()):
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if (path.is_dir() or path.is_symlink() or path.suffix in _SKIP_SUFFIXES
                or _SKIP_DIRS & set(rel.parts) or rel.as_posix() in exclude):
            continue
        yield f"{prefix}/{rel.as_posix()}", path


def bundle_files(root: Path = ROOT) -> dict[str, Path | bytes]:
    """Archive name -> source path (or bytes) of everything the bundle holds."""
    files: dict[str, Path | bytes] = {}
    for name in ("setup.sh", "run_autograder", "run.py"):
        files[name] = TEMPLATES / name
    files["requirements-autograder.txt"] = REQUIREMENTS.format(numpy=numpy_pin(root)).encode()
    for name in PROJECT_FILES:
        files[name] = root / name
    files.update(_tree(root / "grader", "grader", exclude=GRADER_EXCLUDE))
    pkg = root / "assignment"
    for name in PROVIDED:
        files[f"assignment/{name}"] = pkg / name
    files.update(_tree(pkg / "fast_layers", "assignment/fast_layers", FAST_LAYERS_EXCLUDE))
    files.update(_tree(pkg / "student", "assignment/student"))
    for nb in sorted((root / "notebooks" / "student").glob("*.ipynb")):
        files[f"notebooks/student/{nb.name}"] = nb
    missing = [n for n, p in files.items() if isinstance(p, Path) and not p.is_file()]
    missing += [n for n in REQUIRED if n not in files]
    if missing:
        raise BundleError("cannot build the autograder bundle; missing: " + ", ".join(missing)
                          + " (run `make expected` / `make student` first)")
    if any(n.startswith("assignment/reference") for n in files):
        raise BundleError("refusing to bundle assignment/reference")
    return files


def build(out: Path, root: Path = ROOT) -> Path:
    """Write the zip to ``out`` and return its path."""
    files = bundle_files(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            src = files[name]
            data = src if isinstance(src, bytes) else src.read_bytes()
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100755 if name in EXECUTABLE else 0o100644) << 16
            zf.writestr(info, data)
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.make_autograder", description=__doc__)
    p.add_argument("--out", default=str(ROOT / "dist" / "autograder.zip"))
    args = p.parse_args(argv)
    try:
        out = build(Path(args.out))
    except BundleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(out) as zf:
        n, size = len(zf.namelist()), out.stat().st_size
    print(f"wrote {out} ({n} files, {size / 1024:.0f} KB): upload it as the Gradescope "
          "autograder (Docker base image with Python >= 3.11 or apt python3.11)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
