"""What is compared: submissions, the reference, earlier terms, and what is ignored.

A :class:`Document` is one submission's student modules split into normalised units
(:mod:`.tokens`). Submissions are opened by :func:`grader.submission.load`, so a folder or
zip is read with the same validation (and the same refusals) as for grading; a refused one
is kept with its reason and compared with nothing.

The *ignored* text is everything a student was given: the handout's skeleton
(``assignment/student/``) and the provided code (fast layers, solver, utilities). Every
fingerprint found in it counts for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .tokens import Unit, split_units

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignment"
SKELETON = ASSIGNMENT / "student"
REFERENCE = ASSIGNMENT / "reference"
PROVIDED = (ASSIGNMENT / "fast_layers", ASSIGNMENT)  # *.py directly inside each
STUDENT_MODULES = ("layers", "conv_layers", "layer_utils", "cnn", "optim")
REFERENCE_NAME = "(reference solution)"


@dataclass
class Document:
    """One body of code compared with the others.

    Attributes
    ----------
    name : str
        Student name (folder or zip stem), ``"(reference solution)"``, or
        ``"<term>/<student>"`` for an archived submission.
    kind : str
        ``"submission"``, ``"reference"`` or ``"archive"``.
    files : dict of str to str
        Source text by module name (``"conv_layers"``).
    units : list of Unit
        Normalised functions of every module.
    error : str
        Why the submission could not be read (then ``files`` and ``units`` are empty).
    """

    name: str
    kind: str = "submission"
    files: dict[str, str] = field(default_factory=dict)
    units: list[Unit] = field(default_factory=list)
    error: str = ""


def from_texts(name, files, kind="submission"):
    """A :class:`Document` from ``{module: source text or bytes}``."""
    texts = {}
    for module in sorted(files):
        data = files[module]
        texts[module] = data.decode("utf-8-sig", "replace") if isinstance(data, bytes) else data
    units = [u for module, text in texts.items() for u in split_units(text, module)]
    return Document(name, kind, texts, units)


def load(path, name=None, kind="submission"):
    """Open one submission (folder or ``.zip``) as a :class:`Document`, never raising."""
    from grader.submission import SubmissionError
    from grader.submission import load as load_submission

    path = Path(path)
    name = name or (path.stem if path.suffix.lower() == ".zip" else path.name)
    try:
        sub = load_submission(path)
    except SubmissionError as exc:
        return Document(name, kind, error=str(exc))
    return from_texts(name, sub.files, kind)


def discover(directory, exclude=()):
    """The submissions in a folder: every visible entry (folder or zip), sorted by name."""
    skip = {Path(p).resolve() for p in exclude}
    return sorted(p for p in Path(directory).iterdir()
                  if not p.name.startswith((".", "_")) and p.resolve() not in skip
                  and (p.is_dir() or p.suffix.lower() == ".zip"))


def load_archive(directory):
    """Every submission of an earlier term; names are prefixed with the folder's name."""
    directory = Path(directory)
    return [load(p, f"{directory.name}/{p.stem if p.is_file() else p.name}", "archive")
            for p in discover(directory)]


def reference():
    """The reference solution as a document (read as text, never imported)."""
    return from_texts(REFERENCE_NAME, {m: (REFERENCE / f"{m}.py").read_text("utf-8")
                                       for m in STUDENT_MODULES
                                       if (REFERENCE / f"{m}.py").exists()}, "reference")


def given_code():
    """Units of everything handed out: skeleton files and provided modules.

    Returns
    -------
    list of Unit
    """
    units = []
    for m in STUDENT_MODULES:
        p = SKELETON / f"{m}.py"
        if p.exists():
            units += split_units(p.read_text("utf-8"), m)
    for folder in PROVIDED:
        for p in sorted(folder.glob("*.py")):
            units += split_units(p.read_text("utf-8"), p.stem)
    return units
