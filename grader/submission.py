"""Open a submission (folder or ``.zip``), validate it, and refuse bad input clearly.

Accepted: the student files (``layers.py``, ``conv_layers.py``, ``layer_utils.py``,
``cnn.py``, ``optim.py``; any subset) at the top level or inside exactly one folder, or in
the handout's own layout (``assignment/student/*.py`` with the notebooks in ``notebooks/``,
at the top or inside one folder: a zip of the whole handout folder), in a folder or a zip;
other files (the provided utilities, READMEs) are ignored, and :attr:`Submission.taken`
says which files were graded. Refused with :class:`SubmissionError` (exit status 2): a
missing path, a corrupt zip, zip entries that escape the folder (absolute or ``..``),
symlinks, two zip entries of the same name, nested zips holding the files, an empty
submission, files over the size limit, a ``.py`` that is binary or not UTF-8, several
candidate submissions in one folder, and student files only in places no layout explains
(the message says where they were and how to hand in). Nothing is extracted to disk:
files are read into memory. A ``.py`` with a syntax error is accepted: it is compiled only
in the sandbox worker (never here, where a hostile source could cost the parser's memory
or time), and costs the checks of its module with the error's line, while every other file
is graded.
"""

from __future__ import annotations

import hashlib
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .sandbox import STUDENT_MODULES

MAX_FILE_BYTES = 1 << 20
MAX_TOTAL_BYTES = 50 << 20
MAX_NOTEBOOK_BYTES = 20 << 20
MAX_ENTRIES = 5000
# never part of a submission: editor/OS debris, a virtual environment, downloaded data
IGNORED_DIRS = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git", ".venv", "venv",
                "datasets"}
HANDOUT_STUDENT = ("assignment", "student")  # where the handout keeps the student's files
PROVIDED_DIRS = {"fast_layers"}  # the handout's fast layers hold a layers.py of their own
HAND_IN = ("run `make submission` in the handout folder (it writes submission.zip with the "
           "files where the grader reads them)")


class SubmissionError(Exception):
    """The input is not a usable submission; the message says why and what to do."""


@dataclass
class Submission:
    """A validated submission held in memory.

    Attributes
    ----------
    name : str
        File or folder name.
    files : dict of str to bytes
        Source of each student module present, by module name (``"layers"``).
    sha256 : str
        Hash over the sorted module names and contents.
    ignored : list of str
        Other files found (not graded).
    taken : dict of str to str
        Each graded file (``"layers.py"``) and where it was in the submission.
    notebooks : dict of str to str
        Each notebook (``"CNN.ipynb"``) and where it is (read by :func:`notebook_sources`).
    note : str
        How the files were found, when not at the top level ("" otherwise), for the report.
    """

    name: str
    files: dict[str, bytes]
    sha256: str = ""
    ignored: list[str] = field(default_factory=list)
    taken: dict[str, str] = field(default_factory=dict)
    notebooks: dict[str, str] = field(default_factory=dict)
    note: str = ""


def _entries_from_dir(root):
    """``(relative posix path, size, reader)`` of every file below ``root``."""
    out, total = [], 0
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if any(part in IGNORED_DIRS for part in PurePosixPath(rel).parts):
            continue
        if path.is_symlink():
            raise SubmissionError(f"{rel} is a symbolic link; submit regular files only")
        if len(out) >= MAX_ENTRIES:
            raise SubmissionError(f"more than {MAX_ENTRIES} files: is this the right folder? "
                                  f"To hand in, {HAND_IN}")
        if path.is_file():
            size = path.stat().st_size
            total += size
            out.append((rel, size, path.read_bytes))
    if total > MAX_TOTAL_BYTES:
        raise SubmissionError(f"the submission holds {total >> 20} MB; the limit is "
                              f"{MAX_TOTAL_BYTES >> 20} MB. To hand in, {HAND_IN}")
    return out


def _entries_from_zip(path):
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise SubmissionError(f"{path.name} is not a readable zip file ({exc})") from None
    if len(infos) > MAX_ENTRIES:
        raise SubmissionError(f"{path.name} holds more than {MAX_ENTRIES} entries. To hand "
                              f"in, {HAND_IN}")
    out, total, seen = [], 0, set()
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
            raise SubmissionError(f"{path.name}: entry {info.filename!r} points outside the "
                                  "folder; zip the files themselves")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise SubmissionError(f"{path.name}: entry {info.filename!r} is a symbolic link")
        if info.is_dir() or any(p in IGNORED_DIRS for p in parts):
            continue
        # A zip may hold one name twice (appending to an archive does that); readers keep
        # one or the other, so which file would be graded is a guess: refuse instead.
        if name in seen:
            raise SubmissionError(f"{path.name} holds two entries named {name}, so which one "
                                  f"to grade is unclear; zip your files again. To hand in, "
                                  f"{HAND_IN}")
        seen.add(name)
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise SubmissionError(f"{path.name} unpacks to more than "
                                  f"{MAX_TOTAL_BYTES >> 20} MB")
        out.append((name.rstrip("/"), info.file_size, lambda i=info: zf.read(i)))
    # Checksums last: testzip decompresses every entry, so only once the declared sizes
    # are known to be within the limit (a zip bomb costs no CPU before it is refused).
    try:
        bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise SubmissionError(f"{path.name} is not a readable zip file ({exc})") from None
    if bad is not None:
        raise SubmissionError(f"{path.name} is corrupt: entry {bad} fails its checksum")
    return out


def _folder(rel):
    p = PurePosixPath(rel)
    return p.parent.as_posix() if len(p.parts) > 1 else ""


def _handout_root(folder):
    """``"top"`` for ``"top/assignment/student"``, ``""`` for ``"assignment/student"``, else
    None: the handout's own layout, at the top level or inside one folder."""
    parts = PurePosixPath(folder).parts
    if 2 <= len(parts) <= 3 and parts[-2:] == HANDOUT_STUDENT:
        return "/".join(parts[:-2])
    return None


def _is_module(rel):
    p = PurePosixPath(rel)
    return p.suffix == ".py" and p.stem in STUDENT_MODULES


def _pick_folder(entries, label):
    """The folder ('' for the top level) that holds the student files."""
    found = {}
    for rel, _, _ in entries:
        if _is_module(rel):
            found.setdefault(_folder(rel), []).append(PurePosixPath(rel).name)
    usable = [f for f in found if PurePosixPath(f).name not in PROVIDED_DIRS
              and ("/" not in f or _handout_root(f) is not None)]
    if "" in usable:
        return ""
    if len(usable) == 1:
        return usable[0]
    if len(usable) > 1:
        names = ", ".join(sorted(f"{c}/" for c in usable))
        raise SubmissionError(f"{label} holds several candidate submissions ({names}); "
                              f"grade them one at a time. To hand in, {HAND_IN}")
    expected = ", ".join(f"{m}.py" for m in STUDENT_MODULES)
    where = "at its top level, inside one folder, or in the handout's assignment/student/"
    if found:
        seen = "; ".join(f"{', '.join(sorted(names))} in {folder}/"
                         for folder, names in sorted(found.items()))
        raise SubmissionError(f"{label} holds none of the student files ({expected}) {where}"
                              f"; found {seen}. Zip those files themselves, or {HAND_IN}")
    nested = [rel for rel, _, _ in entries if rel.lower().endswith(".zip")]
    if nested:
        raise SubmissionError(f"{label} holds no student files but a zip inside it "
                              f"({nested[0]}); submit the inner zip, or unzip it first")
    if not entries:
        raise SubmissionError(f"{label} is empty")
    raise SubmissionError(f"{label} holds none of the student files ({expected}) {where}. "
                          f"To hand in, {HAND_IN}")


def _find_notebooks(entries, folder):
    """Each notebook's entry: next to the student files, in the handout's ``notebooks/``,
    at the top level, then in a top-level folder (the first, in sorted order)."""
    by_folder = {}
    for rel, _, _ in entries:
        if rel.endswith(".ipynb"):
            by_folder.setdefault(_folder(rel), {}).setdefault(PurePosixPath(rel).name, rel)
    root = _handout_root(folder)
    places = [folder]
    if root is not None:
        places += [f"{root}/notebooks" if root else "notebooks", root]
    places += ["", *sorted(f for f in by_folder if f and "/" not in f)]
    found = {}
    for place in places:
        for name, rel in by_folder.get(place, {}).items():
            found.setdefault(name, rel)
    return found


def _note(folder, taken, notebooks):
    """How the files were found, for the report ("" for the plain top-level layout)."""
    if not folder:
        return ""
    root = _handout_root(folder)
    what = f"{len(taken)} file(s) from {folder}/"
    nb_folders = sorted({_folder(rel) for rel in notebooks.values()})
    if nb_folders:
        what += f", notebooks from {', '.join(f'{f}/' if f else 'the top level' for f in nb_folders)}"
    if root is None:
        return f"graded {what}"
    top = f"{root}/" if root else "the top level"
    return (f"graded the handout's layout at {top}: {what}; the provided files were left "
            "out (`make submission` packs only your files)")


def _check_source(name, data):
    label = f"{name}.py"
    if len(data) > MAX_FILE_BYTES:
        raise SubmissionError(f"{label} is {len(data):,} bytes; the limit is "
                              f"{MAX_FILE_BYTES:,} bytes")
    if b"\x00" in data:
        raise SubmissionError(f"{label} is a binary file, not Python source")
    try:
        # utf-8-sig: a byte-order mark (some Windows editors write one) is valid Python.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{label} is not UTF-8 text (byte {exc.start}); save it as "
                              "UTF-8") from None
    del text  # decodable is all we ask here; compiling is the sandbox's job


def _entries(path):
    path = Path(path)
    if path.is_symlink():
        raise SubmissionError(f"{path} is a symbolic link; give the real folder or zip")
    if not path.exists():
        raise SubmissionError(f"{path} does not exist")
    if path.is_dir():
        return _entries_from_dir(path)
    if zipfile.is_zipfile(path) or path.suffix.lower() == ".zip":
        return _entries_from_zip(path)
    raise SubmissionError(f"{path.name} is neither a folder nor a .zip file")


def load(path) -> Submission:
    """Read and validate a submission.

    Parameters
    ----------
    path : str or Path
        A folder or a ``.zip`` file.

    Returns
    -------
    Submission

    Raises
    ------
    SubmissionError
        When the input is not usable; the message says why.
    """
    path = Path(path)
    entries = _entries(path)
    folder = _pick_folder(entries, path.name)
    files, taken, ignored = {}, {}, []
    for rel, size, read in entries:
        if _is_module(rel) and _folder(rel) == folder:
            if size > MAX_FILE_BYTES:
                raise SubmissionError(f"{rel} is {size >> 10} KB; the limit is "
                                      f"{MAX_FILE_BYTES >> 10} KB")
            files[PurePosixPath(rel).stem] = read()
            taken[PurePosixPath(rel).name] = rel
        else:
            ignored.append(rel)
    for name, data in files.items():
        _check_source(name, data)
    notebooks = _find_notebooks(entries, folder)
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return Submission(path.name, files, h.hexdigest(), ignored, taken, notebooks,
                      _note(folder, taken, notebooks))


def notebook_sources(path, names, max_bytes=MAX_NOTEBOOK_BYTES) -> dict[str, bytes]:
    """The notebooks ``names`` (``"CNN.ipynb"``) of a submission, where :func:`load` finds
    them (next to the student files, or in the handout's ``notebooks/``); those over
    ``max_bytes`` are left out. Raises :class:`SubmissionError` as :func:`load` does."""
    entries = _entries(path)
    folder = _pick_folder(entries, Path(path).name)
    where = _find_notebooks(entries, folder)
    found = {}
    for rel, size, read in entries:
        name = PurePosixPath(rel).name
        if name in names and where.get(name) == rel and size <= max_bytes:
            found[name] = read()
    return found
