"""Numerical gradient checking: the test every backward pass in this library has to pass.

A backward pass is checked against central differences of a scalar loss,
``∂L/∂x_k ≈ (L(x + ε·e_k) − L(x − ε·e_k)) / 2ε``, whose error is O(ε²) plus rounding of order
``machine-ε·|L| / ε``. In float64 with ε = 1e-6 a correct gradient agrees to a normwise relative
error of about 1e-9; a wrong one is off by O(1).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import numpy as np

from lstm_reference.cells import CELLS, get_cell


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` w.r.t. the array ``x`` (any shape).

    ``f`` takes no argument: it must read ``x``, which is perturbed *in place* one entry at a time
    and restored exactly afterwards. Returns an array shaped like ``x`` (float64).
    """
    grad = np.zeros(x.shape, np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        f_plus = f()
        x[idx] = old - eps
        f_minus = f()
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Normwise relative error ‖a − b‖ / max(‖a‖ + ‖b‖, tiny), with Frobenius norms."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    denom = max(float(np.linalg.norm(a) + np.linalg.norm(b)), np.finfo(np.float64).tiny)
    return float(np.linalg.norm(a - b)) / denom


def cell_gradient_errors(
    name: str, T: int = 4, D: int = 3, H: int = 5, B: int = 2, seed: int = 0
) -> dict[str, float]:
    """Normwise relative error of every analytic gradient of cell ``name`` (float64).

    The loss is ``L = Σ dhs⊙hs + Σ_k dfinal_k⊙final_k`` with random ``dhs`` (T, H, B) and
    ``dfinal`` (one (H, B) array per state), so its gradient w.r.t. the outputs is exactly
    (dhs, dfinal). Parameters are the cell's initialisation plus N(0, 0.5²) noise (so zero biases
    and peepholes are exercised too); X and the initial state are N(0, 1). Keys: every parameter,
    ``"X"`` and ``"state0_<name>"`` (e.g. ``state0_h``, ``state0_C``).
    """
    cell = get_cell(name)
    rng = np.random.default_rng(seed)
    p = cell.init(D, H, rng, np.float64)
    for k in p:
        p[k] = p[k] + 0.5 * rng.standard_normal(p[k].shape)
    X = rng.standard_normal((T, D, B))
    state = tuple(rng.standard_normal((H, B)) for _ in cell.state_names)
    dhs = rng.standard_normal((T, H, B))
    dfinal = tuple(rng.standard_normal((H, B)) for _ in cell.state_names)

    def loss() -> float:
        hs, final, _ = cell.forward(X, state, p)
        final_terms = sum(np.sum(d * s) for d, s in zip(dfinal, final, strict=True))
        return float(np.sum(dhs * hs) + final_terms)

    _, _, cache = cell.forward(X, state, p)
    dX, dstate, grads = cell.backward(dhs, cache, dfinal)
    errors = {k: rel_error(grads[k], numerical_gradient(loss, p[k])) for k in p}
    errors["X"] = rel_error(dX, numerical_gradient(loss, X))
    for s_name, s, ds in zip(cell.state_names, state, dstate, strict=True):
        errors["state0_" + s_name] = rel_error(ds, numerical_gradient(loss, s))
    return errors


def check_cell_gradients(
    name: str, T: int = 4, D: int = 3, H: int = 5, B: int = 2, seed: int = 0
) -> float:
    """The worst normwise relative error over all of :func:`cell_gradient_errors` (float64)."""
    return max(cell_gradient_errors(name, T, D, H, B, seed).values())


def main(argv: list[str] | None = None) -> int:
    """``python -m lstm_reference.gradcheck [CELL ...]``: the worst gradient error of each cell."""
    parser = argparse.ArgumentParser(
        prog="python -m lstm_reference.gradcheck",
        description="Check every cell's backward pass against central differences (float64).",
    )
    parser.add_argument("cells", nargs="*", help="cells to check (default: all registered)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in args.cells:
        try:
            get_cell(name)
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    print(f"{'cell':16s} {'worst rel. error':>16s}  (T=4, D=3, H=5, B=2, seed={args.seed})")
    worst_all = 0.0
    for name in args.cells or CELLS:
        errors = cell_gradient_errors(name, seed=args.seed)
        key = max(errors, key=errors.__getitem__)
        worst_all = max(worst_all, errors[key])
        print(f"{name:16s} {errors[key]:16.2e}  ({key})")
    return 0 if worst_all < 1e-7 else 1


if __name__ == "__main__":
    raise SystemExit(main())
