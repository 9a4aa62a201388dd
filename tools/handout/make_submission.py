"""Pack your work into ``submission.zip`` (``make submission``).

The zip holds the five files of ``assignment/student/`` and the three notebooks, all at
its top level, which is the layout the grader reads. Before packing, every file must
exist and every ``.py`` must compile; functions that still raise the
``NotImplementedError`` stub and notebooks that were never run are listed as warnings
(you may submit partial work, but you should know it is partial).
"""

import ast
import json
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ("layers.py", "conv_layers.py", "layer_utils.py", "cnn.py", "optim.py")
NOTEBOOKS = ("ConvolutionalNetworks.ipynb", "SpatialBatchNorm.ipynb", "CNN.ipynb")
STUB = "not implemented yet"


def unfinished(source):
    """Names in the stub messages still present in a student file."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and node.value.endswith(f": {STUB}")):
            found.append((node.lineno, node.value.split(":")[0]))
    # In file order, each name once (a function can hold several stubs).
    return list(dict.fromkeys(name for _, name in sorted(found)))


def never_run(path):
    """True when no code cell of the notebook has an execution count."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return all(c.get("execution_count") is None for c in nb["cells"] if c["cell_type"] == "code")


def main(output=ROOT / "submission.zip"):
    """Check and pack; return the exit status (1 when a file is missing or broken)."""
    files = [ROOT / "assignment" / "student" / m for m in MODULES]
    files += [ROOT / "notebooks" / n for n in NOTEBOOKS]
    errors, warnings = [], []
    for path in files:
        rel = path.relative_to(ROOT)
        if not path.is_file():
            errors.append(f"{rel} is missing")
        elif path.suffix == ".py":
            try:
                todo = unfinished(path.read_text(encoding="utf-8"))
            except SyntaxError as exc:
                errors.append(f"{rel}:{exc.lineno}: syntax error: {exc.msg}")
                continue
            if todo:
                warnings.append(f"{rel}: still to write: {', '.join(todo)}")
        elif never_run(path):
            warnings.append(f"{rel}: has no outputs; run it top to bottom before submitting")
    for message in warnings:
        print(f"warning: {message}")
    if errors:
        for message in errors:
            print(f"error: {message}", file=sys.stderr)
        print("submission.zip not written", file=sys.stderr)
        return 1
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            zf.write(path, arcname=path.name)
    print(f"wrote {output.relative_to(ROOT)} ({len(files)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
