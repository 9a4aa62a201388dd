"""Built-in sample submissions, generated from the reference and graded (``make grade``).

- ``complete``: a copy of the reference (full marks);
- ``partial``: ``conv_layers.py`` and ``cnn.py`` left as the skeleton (``raise
  NotImplementedError`` in every solution region), the rest done;
- ``buggy``: the reference with three classic mistakes (max-pool backward assigns
  instead of accumulating, conv forward forgets the bias, dropout is not inverted).

The reference is read as text (never imported) into a temporary folder that is removed
afterwards, unless ``--keep DIR`` asks to keep the samples.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from .sandbox import STUDENT_MODULES

REFERENCE = Path(__file__).resolve().parent.parent / "assignment" / "reference"
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


def make_samples(folder):
    """Write the sample submissions into ``folder``; returns ``{name: path}``."""
    folder = Path(folder)
    src = reference_sources()
    variants = {
        "complete": src,
        "partial": {m: skeleton(s) if m in ("conv_layers", "cnn") else s
                    for m, s in src.items()},
        "buggy": {m: mutate(s, BUGS.get(m, [])) for m, s in src.items()},
    }
    paths = {}
    for name, files in variants.items():
        d = folder / name
        d.mkdir(parents=True, exist_ok=True)
        for m, text in files.items():
            (d / f"{m}.py").write_text(text, encoding="utf-8")
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
