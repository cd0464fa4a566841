"""buffers.empty reuses large arrays only when nothing refers to them any more."""

from __future__ import annotations

import numpy as np

from lstm_reference import buffers
from lstm_reference.lstm import init_lstm_params, lstm_backward, lstm_forward

BIG = (200, 100)  # 160 000 bytes in float64: above buffers.MIN_BYTES


def test_shape_and_dtype_as_asked() -> None:
    a = buffers.empty(BIG, np.float32)
    assert a.shape == BIG and a.dtype == np.float32


def test_an_array_that_is_dropped_is_handed_out_again() -> None:
    a = buffers.empty(BIG, np.float64)
    address = a.ctypes.data
    del a
    assert buffers.empty(BIG, np.float64).ctypes.data == address


def test_an_array_still_held_is_never_handed_out_again() -> None:
    held = [buffers.empty(BIG, np.float64) for _ in range(buffers.PER_KEY + 2)]
    addresses = {a.ctypes.data for a in held}
    assert len(addresses) == len(held)
    assert buffers.empty(BIG, np.float64).ctypes.data not in addresses


def test_a_view_keeps_its_base_from_being_reused() -> None:
    a = buffers.empty(BIG, np.float64)
    view = a[3:5]
    address = a.ctypes.data
    del a
    assert buffers.empty(BIG, np.float64).ctypes.data != address
    assert view.base is not None


def test_small_arrays_are_not_kept() -> None:
    a = buffers.empty((4, 4), np.float64)
    address = a.ctypes.data
    b = buffers.empty((4, 4), np.float64)
    assert b.ctypes.data != address


def test_two_forward_passes_alive_at_once_do_not_share_memory() -> None:
    """A cache and an output kept by the caller stay intact through later calls."""
    rng = np.random.default_rng(0)
    T, D, H, B = 30, 40, 64, 1
    p = init_lstm_params(D, H, rng)
    X1, X2 = rng.standard_normal((2, T, D, B))
    h0, C0 = np.zeros((H, B)), np.zeros((H, B))
    hs1, _, cache1 = lstm_forward(X1, h0, C0, p)
    hs1_copy = hs1.copy()
    dhs = rng.standard_normal((T, H, B))
    expected = lstm_backward(dhs, lstm_forward(X1, h0, C0, p)[2])
    hs2, _, cache2 = lstm_forward(X2, h0, C0, p)  # while cache1 and hs1 are alive
    grads2 = lstm_backward(dhs, cache2)[2]
    dX1, _, grads1 = lstm_backward(dhs, cache1)
    np.testing.assert_array_equal(hs1, hs1_copy)
    np.testing.assert_array_equal(dX1, expected[0])
    for name, g in grads1.items():
        np.testing.assert_array_equal(g, expected[2][name])
        assert not np.shares_memory(g, grads2[name])
    assert not np.shares_memory(hs1, hs2)
