"""The wire format: round trips, and refusal of anything but plain numbers."""

import json
import os
import struct

import numpy as np
import pytest

from grader.sandbox import protocol
from grader.sandbox.protocol import Handle, ProtocolError


def roundtrip(header, arrays=()):
    r, w = os.pipe()
    try:
        os.write(w, protocol.pack(header, arrays))
        return protocol.receive(r, deadline=None)
    finally:
        os.close(r)
        os.close(w)


def test_values_round_trip():
    arrays = []
    value = (np.arange(6.0).reshape(2, 3), {"k": 1.5, "m": np.float32(2)}, [None, True],
             Handle(3, "tuple"), np.float32)
    tag = protocol.encode(value, arrays)
    header, out = roundtrip({"value": tag}, arrays)
    back = protocol.decode(header["value"], out)
    assert np.array_equal(back[0], value[0]) and back[1] == {"k": 1.5, "m": 2.0}
    assert back[2] == [None, True] and back[3].id == 3 and back[4] is np.float32


def test_object_arrays_cannot_be_sent():
    with pytest.raises(TypeError):
        protocol.encode(np.array([object()]), [])


def _raw(header, blob=b""):
    body = json.dumps(header).encode()
    return struct.pack("<Q", len(body)) + body + blob


@pytest.mark.parametrize("header, blob", [
    ({"arrays": [{"dtype": "|O", "shape": [1]}]}, b"\0" * 8),
    ({"arrays": [{"dtype": "<f8", "shape": [1 << 40]}]}, b""),
    ({"arrays": [{"dtype": "<f8", "shape": [-1]}]}, b""),
    ({"arrays": "nope"}, b""),
])
def test_malformed_messages_are_refused(header, blob):
    r, w = os.pipe()
    try:
        os.write(w, _raw(header, blob))
        os.close(w)
        with pytest.raises((ProtocolError, EOFError)):
            protocol.receive(r)
    finally:
        os.close(r)


def test_bad_tags_are_refused():
    for tag in ({"nd": 5}, {"weird": 1}, {"dtype": "object"}, {"handle": "x"}):
        with pytest.raises(ProtocolError):
            protocol.decode(tag, [])


def test_text_from_the_worker_is_cleaned():
    dirty = "ok\x1b[2J\x00\ud800 done" + "x" * 1000
    clean = protocol.clean_text(dirty, 20)
    assert len(clean) <= 20 and "\x1b" not in clean and "\x00" not in clean
    clean.encode("utf-8")
    assert protocol.decode({"list": ["\ud800"]}, []) == ["?"]
