"""The in-place activations used by the sequence passes, on both of their code paths."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lstm_reference.kernels import sigmoid_, tanh_

# (dtype, size) pairs on either side of the switch to the exp-based form.
CASES = [(np.float64, 100), (np.float64, 5000), (np.float32, 100), (np.float32, 10000)]


def _inputs(dtype: type, size: int) -> np.ndarray:
    z = np.random.default_rng(0).standard_normal(size) * 4
    z[:6] = [-1000.0, -60.0, -1e-9, 0.0, 60.0, 1000.0]  # saturation and tiny inputs
    return z.astype(dtype)


@pytest.mark.parametrize(("dtype", "size"), CASES)
def test_sigmoid_in_place(dtype: type, size: int) -> None:
    z = _inputs(dtype, size)
    expected = 0.5 * (1.0 + np.tanh(0.5 * z.astype(np.float64)))
    with warnings.catch_warnings(), np.errstate(over="ignore"):
        warnings.simplefilter("error")
        out = sigmoid_(z)
    assert out is z and z.dtype == dtype
    tol = 1e-15 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(z, expected, rtol=4 * tol, atol=tol)
    assert z[0] == 0.0 and z[5] == 1.0


@pytest.mark.parametrize(("dtype", "size"), CASES)
def test_tanh_in_place_and_into(dtype: type, size: int) -> None:
    z = _inputs(dtype, size)
    expected = np.tanh(z.astype(np.float64))
    out = np.empty_like(z)
    with np.errstate(over="ignore"):
        assert tanh_(z, out) is out
        tol = 1e-15 if dtype == np.float64 else 1e-6
        np.testing.assert_allclose(out, expected, atol=2 * tol)
        assert out[0] == -1.0 and out[5] == 1.0
        assert tanh_(z) is z
    np.testing.assert_array_equal(z, out)
