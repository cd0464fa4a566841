"""The gradient checker itself: it must be right, and it must catch a wrong backward pass."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lstm_reference import cells
from lstm_reference.gradcheck import (
    cell_gradient_errors,
    check_cell_gradients,
    main,
    numerical_gradient,
    rel_error,
)


def test_numerical_gradient_of_a_cubic() -> None:
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]])
    grad = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8, atol=1e-8)


def test_numerical_gradient_of_a_quadratic_form() -> None:
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    x = rng.standard_normal(4)
    grad = numerical_gradient(lambda: float(x @ A @ x), x)
    np.testing.assert_allclose(grad, (A + A.T) @ x, rtol=1e-8)


def test_numerical_gradient_restores_x_exactly_and_returns_float64() -> None:
    x = np.random.default_rng(1).standard_normal((2, 3, 2))
    before = x.copy()
    seen = []
    grad = numerical_gradient(lambda: seen.append(x.copy()) or float(np.sum(np.sin(x))), x)
    np.testing.assert_array_equal(x, before)
    assert grad.shape == x.shape and grad.dtype == np.float64
    assert len(seen) == 2 * x.size  # two evaluations per entry, one entry moved at a time
    assert all(np.count_nonzero(s != before) == 1 for s in seen)


def test_numerical_gradient_eps() -> None:
    x = np.array([1.0])
    # For x³ the central difference is 3x² + ε² exactly: the step size is really ε.
    grad = numerical_gradient(lambda: float(x[0] ** 3), x, eps=1e-2)
    assert grad[0] == pytest.approx(3.0 + 1e-4, rel=1e-9)


def test_rel_error_values() -> None:
    a = np.array([3.0, 4.0])
    assert rel_error(a, a) == 0.0
    assert rel_error(a, -a) == pytest.approx(1.0)  # ‖2a‖ / 2‖a‖
    assert rel_error(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(np.sqrt(2) / 2)
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0  # no division by zero
    assert rel_error(a, a * (1 + 1e-9)) == pytest.approx(0.5e-9, rel=1e-3)
    assert rel_error(a.astype(np.float32), a) == 0.0


def test_check_cell_gradients_is_the_worst_error() -> None:
    errors = cell_gradient_errors("rnn", T=3, D=2, H=3, B=2, seed=4)
    assert set(errors) == {"Wh", "bh", "X", "state0_h"}
    assert check_cell_gradients("rnn", T=3, D=2, H=3, B=2, seed=4) == max(errors.values())


def _with_backward(monkeypatch: pytest.MonkeyPatch, name: str, wrap) -> None:
    cell = cells.CELLS[name]
    monkeypatch.setitem(cells.CELLS, name, replace(cell, backward=wrap(cell.backward)))


def test_a_wrong_parameter_gradient_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def drop_last_bias_row(backward):
        def wrong(dhs, cache, dfinal):
            dX, dinit, grads = backward(dhs, cache, dfinal)
            grads["bo"] = grads["bo"].copy()
            grads["bo"][-1] = 0.0
            return dX, dinit, grads

        return wrong

    _with_backward(monkeypatch, "lstm", drop_last_bias_row)
    errors = cell_gradient_errors("lstm", seed=2)
    assert errors["bo"] > 1e-3
    assert max(v for k, v in errors.items() if k != "bo") < 1e-7


def test_a_missing_final_state_gradient_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ignoring dC_T (a classic BPTT bug) shows up in the initial-state and weight gradients."""

    def ignore_dC_T(backward):
        return lambda dhs, cache, dfinal: backward(dhs, cache, (dfinal[0], None))

    _with_backward(monkeypatch, "lstm", ignore_dC_T)
    errors = cell_gradient_errors("lstm", seed=3)
    assert errors["state0_C"] > 1e-3
    assert check_cell_gradients("lstm", seed=3) > 1e-3


def test_command_line_reports_every_requested_cell(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rnn", "gru"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["rnn", "gru"]
    assert all(float(line.split()[1]) < 1e-7 for line in lines[1:])


def test_command_line_unknown_cell_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lstm", "bogus"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "unknown cell 'bogus'" in captured.err


def test_command_line_fails_on_a_wrong_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    def scale_dX(backward):
        def wrong(dhs, cache, dfinal):
            dX, dinit, grads = backward(dhs, cache, dfinal)
            return 1.01 * dX, dinit, grads

        return wrong

    _with_backward(monkeypatch, "rnn", scale_dX)
    assert main(["rnn"]) == 1
