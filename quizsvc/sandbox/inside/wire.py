"""The sandbox's wire format: the frames between the grader, a fork server and its children.

Grader <-> fork server, and a job going into a child: a frame is an 8-byte big-endian length
and that many bytes. Readers of a peer's frames pass a cap, so a misbehaving peer cannot make
the other side allocate without bound.

A child's results coming out: one stream of ``RESULT_FRAME`` s (kind, 4-byte length, payload):
``R`` a JSON record, ``A`` an array (``KEY_LENGTH``, its key, then ``.npy`` bytes).
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

HEADER = struct.Struct(">Q")
# A job's answer is a run of chunks: kind (o: printed output, r: result stream, h: the header,
# last), then an 8-byte length and that many bytes.
CHUNK = struct.Struct(">cQ")
RESULT_FRAME = struct.Struct(">cI")
KEY_LENGTH = struct.Struct(">H")


class WireError(Exception):
    """The peer closed the channel, sent too much, or did not answer in time."""


def frame(payload: bytes) -> bytes:
    return HEADER.pack(len(payload)) + payload


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_frame(fd: int, payload: bytes) -> None:
    write_all(fd, HEADER.pack(len(payload)))
    write_all(fd, payload)


def write_json(fd: int, value: Any) -> None:
    write_frame(fd, json.dumps(value).encode())


def read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks, missing = [], size
    while missing:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise WireError("no answer in time")
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            raise WireError("the channel was closed")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, cap: int | None, deadline: float | None = None) -> bytes:
    """A frame of at most ``cap`` bytes (None: a job's frame in a child, filled by the fork
    server with the grader's bytes, which it has counted)."""
    (size,) = HEADER.unpack(read_exact(fd, HEADER.size, deadline))
    if cap is not None and size > cap:
        raise WireError(f"frame of {size} bytes exceeds the cap of {cap}")
    return read_exact(fd, size, deadline)


def read_json(fd: int, cap: int, deadline: float | None = None) -> Any:
    try:
        return json.loads(read_frame(fd, cap, deadline))
    except ValueError as exc:
        raise WireError(f"malformed frame: {exc}") from None
