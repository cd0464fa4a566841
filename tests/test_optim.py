"""Optimizers on quadratics with a known minimum, first steps against hand-computed values,
clipping, and state round trips."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_reference.optim import (
    SGD,
    Adagrad,
    Adam,
    clip_elementwise,
    clip_global_norm,
    make_optimizer,
)

TARGET = {"a": np.array([[1.0, -2.0], [3.0, 0.5]]), "b": np.array([[-1.5], [2.0]])}
CURV = {"a": np.array([[1.0, 4.0], [0.5, 2.0]]), "b": np.array([[3.0], [1.0]])}


def quad_grads(p: dict) -> dict:
    """Gradient of Σ ½·c·(p − target)²: minimum exactly at TARGET."""
    return {k: CURV[k] * (p[k] - TARGET[k]) for k in p}


@pytest.mark.parametrize(
    ("opt", "steps"),
    [(SGD(lr=0.2), 300), (SGD(lr=0.05, momentum=0.9), 400), (Adagrad(lr=0.5), 2000),
     (Adam(lr=0.05), 2000)],
)
def test_optimizers_reach_the_minimum_of_a_quadratic(opt, steps: int) -> None:
    p = {k: np.zeros_like(v) for k, v in TARGET.items()}
    for _ in range(steps):
        opt.step(p, quad_grads(p))
    for k in p:
        np.testing.assert_allclose(p[k], TARGET[k], atol=1e-3)


def test_first_steps_match_the_update_rules() -> None:
    g = np.array([[0.5, -2.0]])
    p = np.zeros((1, 2))
    SGD(lr=0.1).step({"w": p}, {"w": g})
    np.testing.assert_allclose(p, -0.1 * g)
    # Adagrad: G = g², step = lr·g/√G = lr·sign(g) (up to eps)
    p = np.zeros((1, 2))
    Adagrad(lr=0.1).step({"w": p}, {"w": g})
    np.testing.assert_allclose(p, -0.1 * np.sign(g), rtol=1e-6)
    # Adam: bias-corrected m̂ = g, v̂ = g² at t = 1, so the first step is lr·sign(g)
    p = np.zeros((1, 2))
    opt = Adam(lr=0.01)
    opt.step({"w": p}, {"w": g})
    np.testing.assert_allclose(p, -0.01 * np.sign(g), rtol=1e-6)
    # second Adam step with g2: m = 0.9·0.1·g + 0.1·g2, v = 0.999·0.001·g² + 0.001·g2²
    g2 = np.array([[1.0, 1.0]])
    m = 0.9 * 0.1 * g + 0.1 * g2
    v = 0.999 * 0.001 * g**2 + 0.001 * g2**2
    expected = p - 0.01 * (m / (1 - 0.9**2)) / (np.sqrt(v / (1 - 0.999**2)) + 1e-8)
    opt.step({"w": p}, {"w": g2})
    np.testing.assert_allclose(p, expected, rtol=1e-12)


def test_elementwise_clipping_is_the_seed_rule() -> None:
    g = {"w": np.array([-7.0, -5.0, 0.3, 5.0, 12.0])}
    clip_elementwise(g)
    np.testing.assert_array_equal(g["w"], [-5.0, -5.0, 0.3, 5.0, 5.0])


def test_global_norm_clipping_keeps_direction() -> None:
    g = {"a": np.array([3.0, 0.0]), "b": np.array([[0.0], [4.0]])}  # norm 5
    before = clip_global_norm(g, 1.0)
    assert before == pytest.approx(5.0)
    np.testing.assert_allclose(g["a"], [0.6, 0.0])
    np.testing.assert_allclose(g["b"], [[0.0], [0.8]])
    small = {"a": np.array([0.1, 0.2])}
    clip_global_norm(small, 1.0)
    np.testing.assert_array_equal(small["a"], [0.1, 0.2])


@pytest.mark.parametrize("name", ["sgd", "adagrad", "adam"])
def test_state_dict_round_trip_continues_identically(name: str) -> None:
    rng = np.random.default_rng(0)
    grads = [{"w": rng.standard_normal((2, 3))} for _ in range(6)]
    p1 = {"w": np.ones((2, 3))}
    o1 = make_optimizer(name, 0.05)
    for g in grads:
        o1.step(p1, g)
    p2 = {"w": np.ones((2, 3))}
    o2 = make_optimizer(name, 0.05)
    for g in grads[:3]:
        o2.step(p2, g)
    state = {k: v.copy() for k, v in o2.state_dict().items()}
    assert all(isinstance(v, np.ndarray) for v in state.values())
    o3 = make_optimizer(name, 0.05)
    o3.load_state_dict(state)
    for g in grads[3:]:
        o3.step(p2, g)
    np.testing.assert_array_equal(p1["w"], p2["w"])


def test_bad_optimizer_settings() -> None:
    with pytest.raises(ValueError, match="adam"):
        make_optimizer("rmsprop", 0.1)
    with pytest.raises(ValueError):
        SGD(lr=0.0)
