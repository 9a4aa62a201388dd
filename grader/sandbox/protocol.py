"""Wire format between the grader and its sandbox worker: JSON headers and ``.npy`` arrays.

A message is an 8-byte little-endian length and a UTF-8 JSON header, followed by the raw
bytes of each array the header lists (``"arrays": [{"dtype", "shape"}]``). Only plain
little-endian numeric dtypes are accepted and the byte count must match the shape, so
nothing but numbers can arrive (no object arrays, no pickle). Values are tagged JSON:

- ``None``, bool, int, float, str as themselves;
- ``{"nd": i}``: the i-th array of the message;
- ``{"dict": {...}}``, ``{"list": [...]}``, ``{"tuple": [...]}``;
- ``{"handle": n, "type": "tuple"}``: an object kept in the worker (a cache, a model);
- ``{"dtype": "float32"}``: a numpy float type (the ``dtype=`` argument of a model).

Nothing is ever pickled: arrays are rebuilt with ``np.frombuffer`` from a whitelisted dtype.
This file is copied into the worker's scratch folder; it imports only
the standard library and numpy.
"""

import json
import math
import os
import select
import struct
import time

import numpy as np

MAX_HEADER = 4 << 20
MAX_MESSAGE = 256 << 20  # all arrays of one message; the grader's memory stays bounded
# Little-endian plain numeric dtypes only: nothing else can be decoded (no object arrays).
ALLOWED_DTYPES = {np.dtype(t).str: np.dtype(t).str for t in (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
    np.uint64, np.float16, np.float32, np.float64)}
_DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}
MAX_ARRAY = 128 << 20


class ProtocolError(Exception):
    """A malformed or oversized message (from the worker: untrusted)."""


class Handle:
    """A reference to an object that lives in the worker."""

    __slots__ = ("id", "type", "generation")

    def __init__(self, id, type="object", generation=None):
        self.id = id
        self.type = type
        self.generation = generation

    def __repr__(self):
        return f"<handle {self.id}: {self.type}>"


def encode(value, arrays, keep=None):
    """Tag ``value`` for JSON, appending arrays to ``arrays``.

    Parameters
    ----------
    value : object
    arrays : list of ndarray
        Filled with the arrays the tags refer to.
    keep : callable, optional
        ``keep(obj) -> dict`` turns an object that has no wire form into a handle tag (the
        worker's cache table); without it such an object raises ``TypeError``.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        value = np.asarray(value)
        if value.dtype.byteorder == ">":
            value = value.astype(value.dtype.newbyteorder("<"))
        arrays.append(np.ascontiguousarray(value))
        return {"nd": len(arrays) - 1}
    if isinstance(value, type) and value in _DTYPES.values():
        return {"dtype": np.dtype(value).name}
    if isinstance(value, Handle):
        return {"handle": value.id, "type": value.type}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"dict": {k: encode(v, arrays, keep) for k, v in value.items()}}
    if type(value) in (list, tuple):
        return {type(value).__name__: [encode(v, arrays, keep) for v in value]}
    if keep is not None:
        return keep(value)
    raise TypeError(f"cannot send a {type(value).__name__} to the worker")


def decode(tag, arrays, resolve=None, depth=0):
    """Inverse of :func:`encode`; ``resolve(id, type)`` maps handle tags to objects."""
    if depth > 20:
        raise ProtocolError("value nested too deeply")
    if isinstance(tag, str):
        return clean_text(tag, 10_000)
    if tag is None or isinstance(tag, (bool, int, float)):
        return tag
    if not isinstance(tag, dict) or len(tag) not in (1, 2):
        raise ProtocolError(f"malformed value tag {str(tag)[:80]!r}")
    if "nd" in tag:
        i = tag["nd"]
        if type(i) is not int or not 0 <= i < len(arrays):
            raise ProtocolError("array index out of range")
        return arrays[i]
    if "dtype" in tag:
        if tag["dtype"] not in _DTYPES:
            raise ProtocolError("unknown dtype")
        return _DTYPES[tag["dtype"]]
    if "handle" in tag:
        if type(tag["handle"]) is not int:
            raise ProtocolError("malformed handle")
        kind = clean_text(tag.get("type", "object"), 40)
        return resolve(tag["handle"], kind) if resolve else Handle(tag["handle"], kind)
    if "dict" in tag and isinstance(tag["dict"], dict):
        return {clean_text(k, 200): decode(v, arrays, resolve, depth + 1)
                for k, v in tag["dict"].items()}
    for kind, ctor in (("list", list), ("tuple", tuple)):
        if kind in tag and isinstance(tag[kind], list):
            return ctor(decode(v, arrays, resolve, depth + 1) for v in tag[kind])
    raise ProtocolError(f"malformed value tag {str(tag)[:80]!r}")


def pack(header, arrays=()):
    """The bytes of one message."""
    arrays = [np.ascontiguousarray(a) for a in arrays]
    meta = [{"dtype": a.dtype.str, "shape": list(a.shape)} for a in arrays]
    body = json.dumps(dict(header, arrays=meta), allow_nan=True).encode()
    parts = [struct.pack("<Q", len(body)), body]
    for a in arrays:
        parts.append(a.tobytes())
    return b"".join(parts)


def write_all(fd, data, deadline=None):
    """Write ``data`` to a pipe, waiting at most until ``deadline`` (monotonic seconds)."""
    view = memoryview(data)
    while view:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out writing to the worker")
            if not select.select([], [fd], [], left)[1]:
                continue
        n = os.write(fd, view[: 1 << 16])
        view = view[n:]


def read_exact(fd, n, deadline=None):
    """Read exactly ``n`` bytes; ``EOFError`` when the other end closed first."""
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out waiting for the worker")
            if not select.select([fd], [], [], left)[0]:
                continue
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("the worker closed its end")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def receive(fd, deadline=None, max_array=MAX_ARRAY):
    """Read one message: ``(header dict, list of ndarray)``, validating sizes and types."""
    (size,) = struct.unpack("<Q", read_exact(fd, 8, deadline))
    if size > MAX_HEADER:
        raise ProtocolError(f"header of {size} bytes is too large")
    body = read_exact(fd, size, deadline)
    try:
        header = json.loads(body)
    except (ValueError, RecursionError, MemoryError) as exc:  # deep nesting, huge ints...
        raise ProtocolError(f"header is not usable JSON: {type(exc).__name__}") from None
    if not isinstance(header, dict):
        raise ProtocolError("header is not an object")
    meta = header.pop("arrays", [])
    if not isinstance(meta, list) or len(meta) > 4096:
        raise ProtocolError("bad array list")
    arrays, total = [], 0
    for m in meta:
        try:
            dtype = np.dtype(ALLOWED_DTYPES[m["dtype"]])
            shape = tuple(m["shape"])
        except (KeyError, TypeError, ValueError):
            raise ProtocolError(f"array of an unsupported dtype or shape: {str(m)[:80]}")
        if len(shape) > 32 or not all(type(n) is int and n >= 0 for n in shape):
            raise ProtocolError("bad array shape")
        nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
        total += nbytes
        if nbytes > max_array or total > MAX_MESSAGE:
            raise ProtocolError(f"array of {nbytes} bytes is too large")
        blob = read_exact(fd, nbytes, deadline)
        arrays.append(np.frombuffer(blob, dtype=dtype).reshape(shape).copy())
    return header, arrays


def clean_text(text, limit=500):
    """Text from the worker made safe to print: no control characters, no lone surrogates."""
    text = str(text)[: limit * 2]
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = "".join(ch if ch in "\n\t" or (ch.isprintable() and ch != "\x1b") else "?"
                   for ch in text)
    return text[:limit]
