"""Every registered cell: exact gradients, step pair = sequence pair, dtypes, purity, registry."""

from __future__ import annotations

import numpy as np
import pytest
from cell_helpers import cast, random_problem, run_sequence, run_steps

from lstm_reference.cells import CELLS, STEPS, CellSpec, get_cell, get_step, zero_state
from lstm_reference.gradcheck import cell_gradient_errors, rel_error

NAMES = sorted(CELLS)
LSTM_FAMILY = ("lstm", "peephole", "cifg", "nfg", "nig", "nog", "niaf", "noaf")


def test_registry_holds_exactly_the_documented_cells() -> None:
    expected = {"lstm", "rnn", "gru", "gru_reset_after", *LSTM_FAMILY}
    assert set(CELLS) == expected
    assert set(STEPS) == expected
    for name, cell in CELLS.items():
        assert isinstance(cell, CellSpec)
        assert cell.name == name
        assert cell.state_names == (("h", "C") if name in LSTM_FAMILY else ("h",))


def test_unknown_cell_is_a_value_error_naming_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown cell 'lsmt'") as err:
        get_cell("lsmt")
    for name in CELLS:
        assert name in str(err.value)
    with pytest.raises(ValueError, match="valid cells"):
        get_step("")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zero_state(dtype: type) -> None:
    for cell in CELLS.values():
        state = zero_state(cell, 5, 3, dtype)
        assert len(state) == len(cell.state_names)
        for s in state:
            assert s.shape == (5, 3) and s.dtype == dtype and not s.any()


@pytest.mark.parametrize("name", NAMES)
def test_gradients_match_central_differences(name: str) -> None:
    errors = cell_gradient_errors(name, T=4, D=3, H=5, B=2, seed=1)
    cell = get_cell(name)
    p = cell.init(3, 5, np.random.default_rng(0))
    assert set(errors) == {*p, "X", *("state0_" + s for s in cell.state_names)}
    worst = max(errors, key=errors.__getitem__)
    assert errors[worst] < 1e-7, f"{name}: {worst} off by {errors[worst]:.2e}"


@pytest.mark.parametrize("name", NAMES)
def test_step_pair_reproduces_sequence_pair(name: str) -> None:
    prob = random_problem(name, seed=2)
    seq, steps = run_sequence(name, prob), run_steps(name, prob)
    for what, a, b in zip(("hs", "final", "dX", "dinitial"), seq[:4], steps[:4], strict=True):
        np.testing.assert_allclose(np.stack(a) if isinstance(a, tuple) else a,
                                   np.stack(b) if isinstance(b, tuple) else b,
                                   rtol=1e-12, atol=1e-12, err_msg=what)
    assert seq[4].keys() == steps[4].keys() == prob.p.keys()
    for k in prob.p:
        np.testing.assert_allclose(seq[4][k], steps[4][k], rtol=1e-12, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_large_batches_take_the_fast_activation_path(name: str, dtype: type) -> None:
    """H·B ≥ 8192 switches the sequence pass to exp-based activations; the step pair, built on
    np.tanh, must still agree with it (forward and backward)."""
    prob = random_problem(name, seed=13, T=2, D=2, H=32, B=256, dtype=dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-4
    seq, steps = run_sequence(name, prob), run_steps(name, prob)
    assert rel_error(seq[0], steps[0]) < tol
    assert rel_error(seq[2], steps[2]) < tol
    for k in prob.p:
        assert rel_error(seq[4][k], steps[4][k]) < tol, k


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_parameter_names(name: str) -> None:
    T, D, H, B = 3, 4, 6, 2
    prob = random_problem(name, seed=3, T=T, D=D, H=H, B=B)
    hs, final, dX, dinit, grads = run_sequence(name, prob)
    assert hs.shape == (T, H, B) and dX.shape == (T, D, B)
    assert [s.shape for s in final] == [s.shape for s in dinit] == [(H, B)] * len(prob.state)
    assert grads.keys() == prob.p.keys()
    for k, v in prob.p.items():
        assert grads[k].shape == v.shape, k
        if k.startswith("W"):
            assert v.shape == (H, H + D), k
        else:
            assert v.shape == (H, 1), k
    np.testing.assert_array_equal(hs[-1], final[0])  # the last output is the final h


@pytest.mark.parametrize("name", NAMES)
def test_float32_stays_float32_and_agrees_with_float64(name: str) -> None:
    prob64 = random_problem(name, seed=4)
    prob32 = cast(prob64, np.float32)
    cell = get_cell(name)
    p32 = cell.init(3, 5, np.random.default_rng(0), np.float32)
    assert all(v.dtype == np.float32 for v in p32.values())
    out32, out64 = run_sequence(name, prob32), run_sequence(name, prob64)
    flat32 = [out32[0], *out32[1], out32[2], *out32[3], *out32[4].values()]
    flat64 = [out64[0], *out64[1], out64[2], *out64[3], *out64[4].values()]
    for a, b in zip(flat32, flat64, strict=True):
        assert a.dtype == np.float32
        assert rel_error(a, b) < 1e-4
    steps32 = run_steps(name, prob32)
    assert steps32[0].dtype == steps32[2].dtype == np.float32
    assert all(g.dtype == np.float32 for g in steps32[4].values())


@pytest.mark.parametrize("name", NAMES)
def test_inputs_are_not_mutated(name: str) -> None:
    prob = random_problem(name, seed=5)
    before = [prob.X.copy(), *(s.copy() for s in prob.state), prob.dhs.copy(),
              *(d.copy() for d in prob.dfinal), *(v.copy() for v in prob.p.values())]
    run_sequence(name, prob)
    run_steps(name, prob)
    after = [prob.X, *prob.state, prob.dhs, *prob.dfinal, *prob.p.values()]
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_outputs_do_not_alias_inputs(name: str) -> None:
    """Changing a returned array must not change the caller's inputs or a later result."""
    prob = random_problem(name, seed=6)
    cell = get_cell(name)
    hs, final, cache = cell.forward(prob.X, prob.state, prob.p)
    dX, dinit, _ = cell.backward(prob.dhs, cache, prob.dfinal)
    for out in (hs, dX, *final, *dinit):
        for arr in (prob.X, *prob.state, prob.dhs, *prob.dfinal, *prob.p.values()):
            assert not np.shares_memory(out, arr)


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_given_a_seed(name: str) -> None:
    cell = get_cell(name)
    p1 = cell.init(3, 5, np.random.default_rng(7))
    p2 = cell.init(3, 5, np.random.default_rng(7))
    p3 = cell.init(3, 5, np.random.default_rng(8))
    for k in p1:
        np.testing.assert_array_equal(p1[k], p2[k])
    assert any(not np.array_equal(p1[k], p3[k]) for k in p1 if k.startswith("W"))
    prob = random_problem(name, seed=9)
    a, b = run_sequence(name, prob), run_sequence(name, prob)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[2], b[2])


@pytest.mark.parametrize("name", NAMES)
def test_initialisation_follows_the_design(name: str) -> None:
    """Xavier weights (std √(2/(H + H+D))), forget bias 1, every other bias/peephole 0."""
    D, H = 40, 60
    p = get_cell(name).init(D, H, np.random.default_rng(0))
    for k, v in p.items():
        if k.startswith("W"):
            assert abs(v.std() / np.sqrt(2.0 / (H + H + D)) - 1.0) < 0.05, k
        else:
            np.testing.assert_array_equal(v, 1.0 if k == "bf" else 0.0, err_msg=k)
    with pytest.raises(ValueError):
        get_cell(name).init(0, H, np.random.default_rng(0))


@pytest.mark.parametrize("name", NAMES)
def test_chunked_bptt_equals_one_pass(name: str) -> None:
    """Carrying the state across two chunks (and its gradient back) is the same as one pass."""
    prob = random_problem(name, seed=10, T=6)
    cell = get_cell(name)
    hs, final, dX, dinit, grads = run_sequence(name, prob)
    hs1, mid, c1 = cell.forward(prob.X[:2], prob.state, prob.p)
    hs2, final2, c2 = cell.forward(prob.X[2:], mid, prob.p)
    dX2, dmid, g2 = cell.backward(prob.dhs[2:], c2, prob.dfinal)
    dX1, dinit1, g1 = cell.backward(prob.dhs[:2], c1, dmid)
    np.testing.assert_allclose(np.concatenate([hs1, hs2]), hs, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(np.concatenate([dX1, dX2]), dX, rtol=1e-12, atol=1e-13)
    for a, b in zip(dinit1, dinit, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    for k in grads:
        np.testing.assert_allclose(g1[k] + g2[k], grads[k], rtol=1e-12, atol=1e-13)
    for a, b in zip(final2, final, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", NAMES)
def test_no_final_gradient_means_zero(name: str) -> None:
    prob = random_problem(name, seed=11)
    cell = get_cell(name)
    _, _, cache = cell.forward(prob.X, prob.state, prob.p)
    dX_none, dinit_none, _ = cell.backward(prob.dhs, cache, None)
    zeros = tuple(np.zeros_like(s) for s in prob.state)
    dX_zero, dinit_zero, _ = cell.backward(prob.dhs, cache, zeros)
    np.testing.assert_array_equal(dX_none, dX_zero)
    for a, b in zip(dinit_none, dinit_zero, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_batch_columns_are_independent(name: str) -> None:
    """Column b of a batched run equals a run on that column alone (B = 1 is no special path)."""
    prob = random_problem(name, seed=12, B=3)
    cell = get_cell(name)
    hs, final, _ = cell.forward(prob.X, prob.state, prob.p)
    for b in range(3):
        hs_b, final_b, _ = cell.forward(prob.X[:, :, b : b + 1],
                                        tuple(s[:, b : b + 1] for s in prob.state), prob.p)
        np.testing.assert_allclose(hs_b[:, :, 0], hs[:, :, b], rtol=1e-12, atol=1e-14)
        for a, s in zip(final_b, final, strict=True):
            np.testing.assert_allclose(a[:, 0], s[:, b], rtol=1e-12, atol=1e-14)
