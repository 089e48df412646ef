"""The timing relay the session benchmark reports with reads websocket frames correctly."""

import importlib.util
import os
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("wsrelay", Path(__file__).resolve().parent.parent / "benchmarks" / "wsrelay.py")
wsrelay = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wsrelay)


def frame(payload: bytes, opcode: int = 2, fin: bool = True, key: bytes | None = None) -> bytes:
    """A websocket frame as RFC 6455 lays it out (browsers mask theirs)."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    m = 0x80 if key else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 1 << 16:
        head += bytes([m | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([m | 127]) + n.to_bytes(8, "big")
    if key:
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        head += key
    return head + payload


@pytest.mark.parametrize("size", [0, 5, 125, 126, 300, 70_000])
@pytest.mark.parametrize("key", [None, b"\x01\x82\xf3\x44"])
def test_frames_of_every_length_form_masked_or_not(size, key):
    payload = os.urandom(size)
    assert wsrelay.Frames().feed(frame(payload, key=key)) == [payload]


def test_fragments_control_frames_and_bytes_arriving_one_by_one():
    key = b"abcd"
    stream = (frame(b"hello ", fin=False, key=key) + frame(b"", opcode=9, key=key)  # a ping between fragments
              + frame(b"world", opcode=0, key=key) + frame(b"second", opcode=1, key=key))
    reader, got = wsrelay.Frames(), []
    for i in range(len(stream)):
        got += reader.feed(stream[i:i + 1])
    assert got == [b"hello world", b"second"]
