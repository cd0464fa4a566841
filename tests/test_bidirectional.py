"""The bidirectional wrapper: layout of the outputs, exact gradients, any registered cell."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_reference.bidirectional import bidirectional_backward, bidirectional_forward
from lstm_reference.cells import CELLS, STEPS, get_cell
from lstm_reference.gradcheck import numerical_gradient, rel_error

T, D, H, B = 4, 3, 5, 2


def _setup(name: str, seed: int, dtype: type = np.float64):
    cell = get_cell(name)
    rng = np.random.default_rng(seed)

    def params():
        p = cell.init(D, H, rng)
        return {k: (v + 0.5 * rng.standard_normal(v.shape)).astype(dtype) for k, v in p.items()}

    p_f, p_b = params(), params()
    X = rng.standard_normal((T, D, B)).astype(dtype)
    s_f = tuple(rng.standard_normal((H, B)).astype(dtype) for _ in cell.state_names)
    s_b = tuple(rng.standard_normal((H, B)).astype(dtype) for _ in cell.state_names)
    return cell, rng, p_f, p_b, X, s_f, s_b


@pytest.mark.parametrize("name", sorted(CELLS))
def test_outputs_are_forward_rows_then_reversed_backward_rows(name: str) -> None:
    cell, _, p_f, p_b, X, s_f, s_b = _setup(name, 0)
    hs, (fin_f, fin_b), _ = bidirectional_forward(name, X, s_f, s_b, p_f, p_b)
    assert hs.shape == (T, 2 * H, B)
    hs_f, fin_f_ref, _ = cell.forward(X, s_f, p_f)
    np.testing.assert_array_equal(hs[:, :H], hs_f)
    # The backward direction, step by step from x_T down to x_1: hs[t, H:] has read x_T … x_t.
    step, state = STEPS[name], s_b
    for t in range(T - 1, -1, -1):
        state, _ = step.forward(X[t], state, p_b)
        np.testing.assert_allclose(hs[t, H:], state[0], rtol=1e-13, atol=1e-15)
    for a, b in zip(fin_b, state, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    for a, b in zip(fin_f, fin_f_ref, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["lstm", "gru", "rnn", "peephole"])
def test_gradients_match_central_differences(name: str) -> None:
    cell, rng, p_f, p_b, X, s_f, s_b = _setup(name, 1)
    dhs = rng.standard_normal((T, 2 * H, B))
    dfin_f = tuple(rng.standard_normal((H, B)) for _ in cell.state_names)
    dfin_b = tuple(rng.standard_normal((H, B)) for _ in cell.state_names)

    def loss() -> float:
        hs, (fin_f, fin_b), _ = bidirectional_forward(name, X, s_f, s_b, p_f, p_b)
        total = np.sum(dhs * hs)
        for d, s in zip((*dfin_f, *dfin_b), (*fin_f, *fin_b), strict=True):
            total += np.sum(d * s)
        return float(total)

    _, _, cache = bidirectional_forward(name, X, s_f, s_b, p_f, p_b)
    dX, (ds_f, ds_b), (g_f, g_b) = bidirectional_backward(dhs, cache, (dfin_f, dfin_b))
    checks = [(dX, X), *zip(ds_f, s_f, strict=True), *zip(ds_b, s_b, strict=True)]
    checks += [(g_f[k], p_f[k]) for k in p_f] + [(g_b[k], p_b[k]) for k in p_b]
    worst = max(rel_error(g, numerical_gradient(loss, x)) for g, x in checks)
    assert worst < 1e-7


@pytest.mark.parametrize("name", sorted(CELLS))
def test_backward_shapes_dtypes_and_optional_final_gradient(name: str) -> None:
    cell, rng, p_f, p_b, X, s_f, s_b = _setup(name, 2, np.float32)
    hs, _, cache = bidirectional_forward(name, X, s_f, s_b, p_f, p_b)
    assert hs.dtype == np.float32
    dhs = rng.standard_normal(hs.shape).astype(np.float32)
    dX, (ds_f, ds_b), (g_f, g_b) = bidirectional_backward(dhs, cache)
    assert dX.shape == X.shape and dX.dtype == np.float32
    assert len(ds_f) == len(ds_b) == len(cell.state_names)
    assert g_f.keys() == p_f.keys() and g_b.keys() == p_b.keys()
    zeros = tuple(np.zeros_like(s) for s in s_f)
    dX0, _, _ = bidirectional_backward(dhs, cache, (zeros, None))
    np.testing.assert_array_equal(dX, dX0)


def test_forward_half_ignores_backward_parameters() -> None:
    _, _, p_f, p_b, X, s_f, s_b = _setup("lstm", 3)
    hs1, _, _ = bidirectional_forward("lstm", X, s_f, s_b, p_f, p_b)
    hs2, _, _ = bidirectional_forward("lstm", X, s_f, s_b, p_f, {k: 2 * v for k, v in p_b.items()})
    np.testing.assert_array_equal(hs1[:, :H], hs2[:, :H])
    assert not np.allclose(hs1[:, H:], hs2[:, H:])


def test_unknown_cell() -> None:
    _, _, p_f, p_b, X, s_f, s_b = _setup("lstm", 4)
    with pytest.raises(ValueError, match="valid cells"):
        bidirectional_forward("bilstm", X, s_f, s_b, p_f, p_b)
