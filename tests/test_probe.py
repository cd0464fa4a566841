"""Probe records survive the trip out of the kernel unchanged, and forged ones are refused."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.probe import (
    PROBE_MIME,
    ProbeFormatError,
    decode_value,
    encode_value,
    parse_record,
    records_from_outputs,
)


@pytest.mark.parametrize(
    "value",
    [
        np.float64(2.5),
        np.array(3.0),
        np.arange(6.0).reshape(2, 3),
        np.zeros((0, 4), np.float32),
        np.array([True, False]),
        np.arange(5, dtype=np.int32),
    ],
)
def test_arrays_keep_shape_dtype_and_values(value: np.ndarray) -> None:
    back = decode_value(encode_value(value))
    assert back.shape == np.shape(value)
    assert back.dtype == np.asarray(value).dtype
    np.testing.assert_array_equal(back, value)


def test_nested_containers_round_trip() -> None:
    value = {"h": np.ones((2, 3)), "grads": [1.5, None, "x", {"b": np.zeros((2, 1))}], "n": 3}
    back = decode_value(encode_value(value))
    assert back["n"] == 3 and back["grads"][0] == 1.5 and back["grads"][1] is None
    np.testing.assert_array_equal(back["h"], np.ones((2, 3)))
    np.testing.assert_array_equal(back["grads"][3]["b"], np.zeros((2, 1)))


def test_unsupported_dtypes_are_sent_as_float64() -> None:
    back = decode_value(encode_value(np.array([1, 2], dtype=np.float16)))
    assert back.dtype == np.float64


@pytest.mark.parametrize(
    "forged",
    [
        {"__array__": True, "dtype": "object", "shape": [1], "b64": ""},
        {"__array__": True, "dtype": "float64", "shape": [2], "b64": "AAAA"},
        {"__array__": True, "dtype": "float64", "shape": [-1], "b64": ""},
        {"__array__": True, "dtype": "float64", "shape": [1], "b64": "not base64!"},
        {"__dict__": [["a"]]},
        {"something": "else"},
        [1, 2],
    ],
)
def test_forged_values_are_refused(forged: object) -> None:
    with pytest.raises(ProbeFormatError):
        decode_value(forged)


def test_records_come_only_from_probe_outputs() -> None:
    record = {"check": "c", "seed": 3, "outputs": encode_value({"y": np.ones(2)})}
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "hi"},
        {"output_type": "display_data", "data": {"text/plain": "x"}},
        {"output_type": "display_data", "data": {PROBE_MIME: record}},
    ]
    found = records_from_outputs(outputs)
    assert found == [record]
    parsed = parse_record(found[0])
    assert parsed.check == "c" and parsed.seed == 3
    with pytest.raises(ProbeFormatError):
        parse_record({"check": "c", "seed": True, "outputs": None})


def test_a_numpy_string_travels_as_text() -> None:
    """A student's np.str_ (e.g. an element of an array of names) is text, not an array of
    floats: it must reach the judge intact, never crash the record."""
    import numpy as np

    from autograder.checks.judging import plain
    from autograder.probe import decode_value, encode_value

    names = np.array(["lstm", "nfg"])
    sent = encode_value({"choice": names[1], "plain": plain(names[0])})
    assert decode_value(sent) == {"choice": "nfg", "plain": "lstm"}
