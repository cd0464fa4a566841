"""Probe records: the student's outputs, carried out of the kernel as plain data.

A check running inside the student's kernel calls :func:`emit`; when the grader runs the
notebook it sets ``LSTM_LAB_PROBE=1`` and every emitted record becomes a display output with
the MIME type :data:`PROBE_MIME`. The grader reads those outputs back with
:func:`records_from_outputs` and recomputes the verdict in its own process.

Only plain JSON and base64-encoded numeric arrays cross the boundary (never pickle), and
:func:`decode_value` validates everything it reads, so a forged record can at worst fail.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

PROBE_MIME = "application/vnd.lstm-lab.probe+json"
PROBE_ENV = "LSTM_LAB_PROBE"
#: set by the kit's grader, which judges every record itself: checks then skip the (identical)
#: judgement inside the kernel instead of doing the work twice
JUDGE_OUTSIDE_ENV = "LSTM_LAB_JUDGE_OUTSIDE"

_ALLOWED_DTYPES = {"float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}
MAX_ARRAY_BYTES = 64 * 1024 * 1024


class ProbeFormatError(ValueError):
    """A probe record that is not what a check emits."""


@dataclass(frozen=True)
class ProbeRecord:
    check: str
    seed: int
    outputs: Any
    #: the grader's id of the planned call this record answers (None outside the grader)
    call: str | None = None


def encode_value(value: Any) -> Any:
    """Turn arrays (recursively inside dicts/lists/tuples) into JSON-safe dicts."""
    if isinstance(value, str):  # np.str_ too: a NumPy string is text, not an array
        return str(value)
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        arr = np.asarray(value)
        if arr.dtype.name not in _ALLOWED_DTYPES:
            arr = arr.astype(np.float64)
        arr = np.array(arr, order="C")  # (ascontiguousarray would turn 0-d into 1-d)
        return {
            "__array__": True,
            "dtype": arr.dtype.name,
            "shape": list(arr.shape),
            "b64": base64.b64encode(arr.tobytes()).decode("ascii"),
        }
    if isinstance(value, Mapping):
        return {"__dict__": [[str(k), encode_value(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return {"__list__": [encode_value(v) for v in value]}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot send a {type(value).__name__} out of the kernel")


def decode_value(data: Any, _depth: int = 0) -> Any:
    """Inverse of :func:`encode_value`; raises :class:`ProbeFormatError` on anything else."""
    if _depth > 20:
        raise ProbeFormatError("probe record nested too deeply")
    if data is None or isinstance(data, bool | int | float | str):
        return data
    if not isinstance(data, dict):
        raise ProbeFormatError(f"unexpected {type(data).__name__} in probe record")
    if data.get("__array__") is True:
        dtype, shape, b64 = data.get("dtype"), data.get("shape"), data.get("b64")
        if dtype not in _ALLOWED_DTYPES or not isinstance(shape, list) or not isinstance(b64, str):
            raise ProbeFormatError("malformed array in probe record")
        if not all(isinstance(n, int) and n >= 0 for n in shape):
            raise ProbeFormatError("malformed array shape in probe record")
        if len(b64) > MAX_ARRAY_BYTES * 4 // 3 + 4:
            raise ProbeFormatError("array in probe record is too large")
        try:
            raw = base64.b64decode(b64, validate=True)
        except ValueError as exc:
            raise ProbeFormatError("array data in probe record is not base64") from exc
        expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        if len(raw) != expected:
            raise ProbeFormatError("array data in probe record does not match its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if "__dict__" in data and isinstance(data["__dict__"], list):
        out = {}
        for item in data["__dict__"]:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                raise ProbeFormatError("malformed mapping in probe record")
            out[item[0]] = decode_value(item[1], _depth + 1)
        return out
    if "__list__" in data and isinstance(data["__list__"], list):
        return [decode_value(v, _depth + 1) for v in data["__list__"]]
    raise ProbeFormatError("unknown value in probe record")


def probing() -> bool:
    """True when the grader asked the kernel to emit probe records."""
    return os.environ.get(PROBE_ENV) == "1"


def judged_outside() -> bool:
    """True when the grader recomputes every verdict outside the kernel."""
    return probing() and os.environ.get(JUDGE_OUTSIDE_ENV) == "1"


def emit(check: str, seed: int, outputs: Any, call: str | None = None) -> None:
    """Display one probe record (only when the grader is listening)."""
    if not probing():
        return
    from IPython.display import display

    record = {"check": check, "seed": int(seed), "outputs": encode_value(outputs)}
    if call is not None:
        record["call"] = str(call)
    display({PROBE_MIME: record}, raw=True)


def parse_record(data: Any) -> ProbeRecord:
    """Validate one raw record (the JSON under :data:`PROBE_MIME`)."""
    if not isinstance(data, dict):
        raise ProbeFormatError("probe record is not an object")
    check, seed = data.get("check"), data.get("seed")
    if not isinstance(check, str) or not isinstance(seed, int) or isinstance(seed, bool):
        raise ProbeFormatError("probe record lacks a check name or seed")
    call = data.get("call")
    if call is not None and not isinstance(call, str):
        raise ProbeFormatError("probe record has a malformed call id")
    return ProbeRecord(check=check, seed=seed, outputs=decode_value(data.get("outputs")),
                       call=call)


def records_from_outputs(outputs: Iterable[Mapping[str, Any]]) -> list[Any]:
    """The raw probe payloads among a cell's nbformat outputs, in order."""
    found = []
    for out in outputs:
        if out.get("output_type") in ("display_data", "execute_result"):
            data = out.get("data", {})
            if PROBE_MIME in data:
                found.append(data[PROBE_MIME])
    return found
