"""Open a submission (folder or ``.zip``), validate it, and refuse bad input clearly.

Accepted: the student files (``layers.py``, ``conv_layers.py``, ``layer_utils.py``,
``cnn.py``, ``optim.py``; any subset) at the top level or inside exactly one folder, in a
folder or a zip; other files (notebooks, READMEs) are ignored. Refused with
:class:`SubmissionError` (exit status 2): a missing path, a corrupt zip, zip entries that
escape the folder (absolute or ``..``), symlinks, nested zips holding the files, an empty
submission, files over the size limit, a ``.py`` that is binary or not UTF-8, and several
candidate submissions in one folder. Nothing is extracted to disk: files are read into
memory. A ``.py`` with a syntax error is accepted: it is compiled only in the sandbox
worker (never here, where a hostile source could cost the parser's memory or time), and
costs the checks of its module with the error's line, while every other file is graded.
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
MAX_ENTRIES = 5000
IGNORED_DIRS = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git"}


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
    """

    name: str
    files: dict[str, bytes]
    sha256: str = ""
    ignored: list[str] = field(default_factory=list)


def _entries_from_dir(root):
    """``(relative posix path, bytes or None for folders)`` of every entry below ``root``."""
    out, total = [], 0
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if any(part in IGNORED_DIRS for part in PurePosixPath(rel).parts):
            continue
        if path.is_symlink():
            raise SubmissionError(f"{rel} is a symbolic link; submit regular files only")
        if len(out) >= MAX_ENTRIES:
            raise SubmissionError(f"more than {MAX_ENTRIES} files: is this the right folder?")
        if path.is_file():
            size = path.stat().st_size
            total += size
            out.append((rel, size, path.read_bytes if _wanted(rel) else None))
    if total > MAX_TOTAL_BYTES:
        raise SubmissionError(f"the submission holds {total >> 20} MB; the limit is "
                              f"{MAX_TOTAL_BYTES >> 20} MB")
    return out


def _entries_from_zip(path):
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise SubmissionError(f"{path.name} is not a readable zip file ({exc})") from None
    if len(infos) > MAX_ENTRIES:
        raise SubmissionError(f"{path.name} holds more than {MAX_ENTRIES} entries")
    out, total = [], 0
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
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise SubmissionError(f"{path.name} unpacks to more than "
                                  f"{MAX_TOTAL_BYTES >> 20} MB")
        out.append((name.rstrip("/"), info.file_size,
                    (lambda i=info: zf.read(i)) if _wanted(name) else None))
    # Checksums last: testzip decompresses every entry, so only once the declared sizes
    # are known to be within the limit (a zip bomb costs no CPU before it is refused).
    try:
        bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise SubmissionError(f"{path.name} is not a readable zip file ({exc})") from None
    if bad is not None:
        raise SubmissionError(f"{path.name} is corrupt: entry {bad} fails its checksum")
    return out


def _wanted(rel):
    p = PurePosixPath(rel)
    return p.suffix == ".py" and p.stem in STUDENT_MODULES and len(p.parts) <= 2


def _pick_folder(entries, label):
    """The folder ('' for the top level) that holds the student files."""
    candidates = {}
    for rel, _, _ in entries:
        p = PurePosixPath(rel)
        if _wanted(rel):
            folder = p.parent.as_posix() if len(p.parts) == 2 else ""
            candidates.setdefault(folder, []).append(p.stem)
    if not candidates:
        nested = [rel for rel, _, _ in entries if rel.lower().endswith(".zip")]
        if nested:
            raise SubmissionError(f"{label} holds no student files but a zip inside it "
                                  f"({nested[0]}); submit the inner zip, or unzip it first")
        if not entries:
            raise SubmissionError(f"{label} is empty")
        expected = ", ".join(f"{m}.py" for m in STUDENT_MODULES)
        raise SubmissionError(f"{label} holds none of the student files ({expected}) at its "
                              "top level or inside one folder")
    if "" in candidates:
        return ""
    if len(candidates) > 1:
        names = ", ".join(sorted(f"{c}/" for c in candidates))
        raise SubmissionError(f"{label} holds several candidate submissions ({names}); "
                              "grade them one at a time")
    return next(iter(candidates))


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
    if path.is_symlink():
        raise SubmissionError(f"{path} is a symbolic link; give the real folder or zip")
    if not path.exists():
        raise SubmissionError(f"{path} does not exist")
    if path.is_dir():
        entries = _entries_from_dir(path)
    elif zipfile.is_zipfile(path) or path.suffix.lower() == ".zip":
        entries = _entries_from_zip(path)
    else:
        raise SubmissionError(f"{path.name} is neither a folder nor a .zip file")
    folder = _pick_folder(entries, path.name)
    files, ignored = {}, []
    for rel, size, read in entries:
        p = PurePosixPath(rel)
        in_folder = (p.parent.as_posix() if len(p.parts) > 1 else "") == folder
        if read is not None and in_folder:
            if size > MAX_FILE_BYTES:
                raise SubmissionError(f"{rel} is {size >> 10} KB; the limit is "
                                      f"{MAX_FILE_BYTES >> 10} KB")
            files[p.stem] = read()
        else:
            ignored.append(rel)
    for name, data in files.items():
        _check_source(name, data)
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return Submission(path.name, files, h.hexdigest(), ignored)
