"""Send batch grading to a Dask distributed cluster (``grader batch --scheduler ADDRESS``).

The submission travels as bytes (a zip of the folder, or the zip as uploaded), so workers
need no shared file system, only this package installed. On the worker, each submission is
unpacked into a private temporary folder and graded by the same subprocess path as local
batches (:func:`grader.batch.job.grade_in_subprocess`), so it still runs in its own sandbox.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

INSTALL_HINT = (
    "grading on a cluster needs dask.distributed: pip install 'dask[distributed]' "
    "(or the project's extra: pip install -e '.[scale]')"
)


def pack(path: Path) -> tuple[str, bytes]:
    """A submission as ``(kind, bytes)``: ``("zip", ...)`` for a zip, ``("dir", zip)`` else.

    Folders are zipped with fixed timestamps so the same folder gives the same bytes.
    Symbolic links are not followed (a link could point outside the submission).
    """
    path = Path(path)
    if path.is_file():
        return ("zip" if path.suffix.lower() == ".zip" else "file"), path.read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and not f.is_symlink():
                    info = zipfile.ZipInfo(f.relative_to(path).as_posix(), (1980, 1, 1, 0, 0, 0))
                    zf.writestr(info, f.read_bytes(), zipfile.ZIP_DEFLATED)
    return "dir", buf.getvalue()


def grade_packed(name: str, kind: str, payload: bytes, options: dict, timeout: float,
                 grade_func: str) -> dict:
    """Run on a Dask worker: unpack one submission to a temp folder and grade it.

    Returns the same plain dict as :func:`grader.batch.job.grade_in_subprocess`.
    """
    from .job import grade_in_subprocess
    from .names import safe_filename

    with tempfile.TemporaryDirectory(prefix="grader-dask-") as tmp:
        base = Path(tmp) / safe_filename(name)
        if kind == "dir":
            base.mkdir()
            with zipfile.ZipFile(io.BytesIO(payload)) as zf:
                for info in zf.infolist():  # written by pack(): relative, no links
                    target = (base / info.filename).resolve()
                    if not target.is_relative_to(base.resolve()):
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(zf.read(info))
            sub = base
        else:
            sub = base.with_suffix(".zip" if kind == "zip" else ".bin")
            sub.write_bytes(payload)
        return grade_in_subprocess(sub, options, timeout, grade_func)


def grade_on_cluster(address, todo, options: dict, timeout: float,
                     grade_func: str) -> Iterator[tuple[str, str, dict]]:
    """Grade ``todo`` (``(name, path, key)`` triples) on the cluster at ``address``.

    Yields ``(name, key, data)`` as submissions finish. A task that fails on the cluster
    (worker lost, serialisation error) yields a row with the reason; it never stops the batch.
    """
    try:
        from dask.distributed import Client, as_completed
    except ImportError as exc:
        raise SystemExit(f"{INSTALL_HINT} ({exc})") from exc
    try:
        client = Client(address, timeout="30s")
    except OSError as exc:
        raise SystemExit(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    with client:
        futures = {}
        for name, path, key in todo:
            kind, payload = pack(path)
            fut = client.submit(grade_packed, name, kind, payload, options, timeout, grade_func,
                                pure=False, key=f"grade-{key[:16]}-{name}")
            futures[fut] = (name, key)
        for fut in as_completed(futures):
            name, key = futures[fut]
            try:
                data = fut.result()
            except Exception as exc:  # noqa: BLE001 -- a lost task is that student's row
                data = {"reason": f"cluster error: {type(exc).__name__}: {exc}"[:500],
                        "invalid": False}
            yield name, key, data
