"""Arrays across the sandbox's boundary: ``.npy`` bytes (results) and the inputs' blob (jobs).

Standard library and NumPy only (see ``__init__``). Never pickle: object arrays cannot even be
represented here.
"""

from __future__ import annotations

import io
import re
import struct
from typing import Any

import numpy as np

# np.save/np.load cost ~60 us per small array (ast.literal_eval on each header): a batch-norm
# job moves ~250 arrays. These write and read the same format (version 1.0, C order, numeric
# dtypes), parse headers with a strict pattern instead of an evaluator, and never touch pickle.

NPY_MAGIC = b"\x93NUMPY\x01\x00"
_NPY_HEADER = re.compile(
    rb"\{'descr': '([<>|][biufc]\d{1,2})', 'fortran_order': False, 'shape': "
    rb"\(((?:\d+, )*\d*|\d+,)\), \} *\n")


_npy_headers: dict[tuple[str, tuple[int, ...]], bytes] = {}


def npy_prefix(array: np.ndarray) -> bytes:
    """The .npy magic and header of a C-contiguous array (what precedes its raw data)."""
    key = (array.dtype.str, array.shape)
    prefix = _npy_headers.get(key)
    if prefix is None:  # a job returns the same few shapes over and over
        shape = "".join(f"{n}, " for n in array.shape)
        shape = shape[:-1] if len(array.shape) == 1 else shape[:-2]
        header = (f"{{'descr': '{array.dtype.str}', 'fortran_order': False, "
                  f"'shape': ({shape}), }}")
        pad = 64 - (len(NPY_MAGIC) + 2 + len(header) + 1) % 64
        header_bytes = (header + " " * (pad % 64) + "\n").encode("latin1")
        prefix = NPY_MAGIC + struct.pack("<H", len(header_bytes)) + header_bytes
        if len(_npy_headers) < 1024:
            _npy_headers[key] = prefix
    return prefix


_npy_layouts: dict[bytes, tuple[np.dtype, tuple[int, ...], int]] = {}


def parse_npy(data: bytes | memoryview) -> np.ndarray:
    """A numeric array from .npy bytes, or ValueError. Falls back to np.load for other
    versions/layouts, always with allow_pickle=False."""
    data = memoryview(data)
    if bytes(data[:8]) == NPY_MAGIC:
        (length,) = struct.unpack("<H", data[8:10])
        header = bytes(data[10: 10 + length])
        layout = _npy_layouts.get(header)
        if layout is None:
            match = _NPY_HEADER.fullmatch(header)
            if match:
                shape = tuple(int(n) for n in match.group(2).decode().split(",") if n.strip())
                count = 1
                for n in shape:
                    count *= n
                layout = (np.dtype(match.group(1).decode()), shape, count)
                if len(_npy_layouts) < 1024:  # a job's outputs share a few layouts
                    _npy_layouts[header] = layout
        if layout is not None:
            dtype, shape, count = layout
            body = data[10 + length:]
            if len(body) != count * dtype.itemsize:
                raise ValueError("truncated .npy data")
            return np.frombuffer(body, dtype=dtype, count=count).reshape(shape).copy()
    array = np.load(io.BytesIO(bytes(data)), allow_pickle=False)
    if not isinstance(array, np.ndarray):
        raise ValueError("not a single array")
    return array



# ----- a job's input arrays: a manifest and one aligned blob ------------------------------

ALIGN = 64  # each input starts at a multiple of this in the blob


def encode_inputs(arrays: dict[str, np.ndarray]) -> tuple[dict[str, list[Any]], bytes]:
    """Input arrays as a manifest ``{name: [dtype, shape, offset]}`` and one aligned blob."""
    manifest: dict[str, list[Any]] = {}
    parts, offset = [], 0
    for name, array in arrays.items():
        if array.dtype.kind not in "biufc":
            raise ValueError(f"input {name!r} is not numeric")
        data = np.ascontiguousarray(array).tobytes()
        manifest[name] = [array.dtype.str, list(array.shape), offset]
        pad = -len(data) % ALIGN
        parts += [data, bytes(pad)]
        offset += len(data) + pad
    return manifest, b"".join(parts)


def decode_inputs(manifest: dict[str, list[Any]], blob: bytes) -> dict[str, np.ndarray]:
    """Read-only views into ``blob``: every call gets a fresh copy (``values.decode_arg``)."""
    arrays: dict[str, np.ndarray] = {}
    dtypes: dict[str, np.dtype] = {}
    for name, (dtype, shape, offset) in manifest.items():
        dt = dtypes.get(dtype)
        if dt is None:  # np.dtype(str) and np.prod cost more than the view itself
            dt = dtypes[dtype] = np.dtype(dtype)
        count = 1
        for n in shape:
            count *= int(n)
        arrays[name] = np.frombuffer(blob, dt, count, int(offset)).reshape(shape)
    return arrays
