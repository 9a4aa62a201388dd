"""Built-in sample submissions, generated from the reference and graded (``make grade``).

Each is what a student would hand in: the five modules and the three notebooks.

- ``complete``: a copy of the reference and the solution notebooks (the filled-in student
  notebooks) with their outputs cleared: full marks;
- ``partial``: ``conv_layers.py`` and ``cnn.py`` left as handed out (``assignment/student/``,
  whose stubs raise ``NotImplementedError("NAME: not implemented yet")``), the rest done,
  and the student notebooks as handed out: its notebooks stop at the first function left
  to write;
- ``buggy``: the reference with three classic mistakes (max-pool backward assigns
  instead of accumulating, conv forward forgets the bias, dropout is not inverted) and the
  solution notebooks, which run clean against it but print the bias mistake as TOO LARGE.

The reference is read as text (never imported) into a temporary folder that is removed
afterwards, unless ``--keep DIR`` asks to keep the samples. The notebooks are left out
where the project's ``notebooks/`` folder is not shipped (an installed grader).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

from .sandbox import STUDENT_MODULES

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "assignment" / "reference"
HANDOUT = ROOT / "assignment" / "student"  # generated from the reference (tools.make_student)
NOTEBOOKS = ROOT / "notebooks"
NOTEBOOK_NAMES = ("ConvolutionalNetworks", "SpatialBatchNorm", "CNN")
_REGION = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n.*?^\1### END SOLUTION\n",
                     re.MULTILINE | re.DOTALL)

BUGS = {
    "conv_layers": [
        ("dx[n, c, hs + a, ws + bidx] += dout[n, c, i, j]",
         "dx[n, c, hs + a, ws + bidx] = dout[n, c, i, j]"),
        ("out[n, f, i, j] = np.sum(window * w[f]) + b[f]",
         "out[n, f, i, j] = np.sum(window * w[f])"),
    ],
    "layers": [("mask = (np.random.rand(*x.shape) < p) / p",
                "mask = (np.random.rand(*x.shape) < p) * 1.0")],
}


def skeleton(source):
    """Replace every solution region with ``raise NotImplementedError`` (same indent)."""
    return _REGION.sub(lambda m: f'{m[1]}# YOUR CODE HERE\n{m[1]}raise NotImplementedError\n',
                       source)


def mutate(source, replacements):
    """Apply ``(old, new)`` text replacements, each of which must match exactly once."""
    for old, new in replacements:
        if source.count(old) != 1:
            raise ValueError(f"mutation target not found exactly once: {old!r}")
        source = source.replace(old, new)
    return source


def reference_sources():
    """Source text of the five reference files, by module name."""
    return {m: (REFERENCE / f"{m}.py").read_text(encoding="utf-8") for m in STUDENT_MODULES}


def handout_source(module):
    """The handed-out (stub) version of ``module``; the skeleton of the reference if the
    generated handout is missing."""
    path = HANDOUT / f"{module}.py"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    return skeleton((REFERENCE / f"{module}.py").read_text(encoding="utf-8"))


def notebook_sources(kind):
    """``{file name: text}`` of the ``solutions`` or ``student`` notebooks, outputs cleared
    (a student's notebook may hold outputs, but the grader never trusts them anyway)."""
    found = {}
    for name in NOTEBOOK_NAMES:
        path = NOTEBOOKS / kind / f"{name}.ipynb"
        if not path.is_file():
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            if cell.get("cell_type") == "code":
                cell["outputs"], cell["execution_count"] = [], None
        found[path.name] = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    return found


def make_samples(folder, notebooks=True):
    """Write the sample submissions into ``folder``; returns ``{name: path}``.

    With ``notebooks`` (the default) each also holds its three notebooks.
    """
    folder = Path(folder)
    src = reference_sources()
    variants = {
        "complete": (src, "solutions"),
        "partial": ({m: handout_source(m) if m in ("conv_layers", "cnn") else s
                     for m, s in src.items()}, "student"),
        "buggy": ({m: mutate(s, BUGS.get(m, [])) for m, s in src.items()}, "solutions"),
    }
    paths = {}
    for name, (files, nb_kind) in variants.items():
        d = folder / name
        d.mkdir(parents=True, exist_ok=True)
        for m, text in files.items():
            (d / f"{m}.py").write_text(text, encoding="utf-8")
        for nb_name, text in (notebook_sources(nb_kind) if notebooks else {}).items():
            (d / nb_name).write_text(text, encoding="utf-8")
        paths[name] = d
    return paths


def main(keep=None):
    """Generate and grade the samples, print each table and a summary line; exit status."""
    from .api import grade
    from .reports import console
    tmp = None
    if keep is None:
        tmp = tempfile.mkdtemp(prefix="grader-samples-")
    folder = Path(keep or tmp)
    try:
        lines = []
        for name, path in make_samples(folder).items():
            print(f"\n=== sample submission: {name} ===")
            result = grade(path)
            print(console.render(result))
            lines.append(console.summary(result))
        print("\n" + "\n".join(lines))
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0
