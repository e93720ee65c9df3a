"""The child's side of its result stream (framing in ``wire``): records and arrays, written
call by call."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .arrays import npy_prefix
from .wire import KEY_LENGTH, RESULT_FRAME


def _record_encoder() -> Callable[[Any], str]:
    """json.dumps for result records, with the C encoder built once (json.dumps builds one per
    call): records are plain, acyclic data, so no circular-reference check either."""
    from json import encoder

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:
        return json.dumps
    iterencode = make(None, encoder.JSONEncoder().default, encoder.encode_basestring_ascii, None,
                      ": ", ", ", False, False, True)
    return lambda obj: "".join(iterencode(obj, 0))


_json_encode = _record_encoder()


class ResultStream:
    """Writes one call's record together with its arrays in a single ``write``: whatever the
    process manages to send before it dies arrives whole, call by call."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending = bytearray()  # one buffer, appended to in place: few allocations
        self.broken = False

    def array(self, key: str, array: np.ndarray) -> None:
        name = key.encode()
        array = np.ascontiguousarray(array) if array.ndim else array
        prefix = npy_prefix(array)
        pending = self.pending
        pending += RESULT_FRAME.pack(b"A", KEY_LENGTH.size + len(name) + len(prefix) + array.nbytes)
        pending += KEY_LENGTH.pack(len(name))
        pending += name
        pending += prefix
        pending += array.data  # the raw bytes, copied straight into the buffer

    def record(self, record: dict[str, Any]) -> None:
        payload = _json_encode(record).encode()
        self.pending += RESULT_FRAME.pack(b"R", len(payload))
        self.pending += payload
        data = memoryview(self.pending)
        while data and not self.broken:
            try:
                data = data[os.write(self.fd, data):]
            except OSError:  # the submission closed or replaced our descriptor: its loss
                self.broken = True
        data.release()
        self.pending.clear()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)
