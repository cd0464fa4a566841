"""Parameter initialisation: Xavier-scaled weights, forget-gate bias 1, other biases 0."""

from __future__ import annotations

import numpy as np

Params = dict[str, np.ndarray]


def xavier(
    rng: np.random.Generator, rows: int, cols: int, dtype: np.dtype | type = np.float64
) -> np.ndarray:
    """A (rows, cols) matrix with Glorot/Xavier normal scale √(2 / (rows + cols))."""
    scale = np.sqrt(2.0 / (rows + cols))
    return (rng.standard_normal((rows, cols)) * scale).astype(dtype)


def gate_params(
    rng: np.random.Generator,
    names: list[tuple[str, str, float]],
    hidden_size: int,
    input_size: int,
    dtype: np.dtype | type = np.float64,
) -> Params:
    """Weights (H, H + D) and biases (H, 1) for each ``(weight, bias, bias_value)`` in ``names``."""
    H, D = hidden_size, input_size
    if H <= 0 or D <= 0:
        raise ValueError(f"sizes must be positive, got hidden_size={H}, input_size={D}")
    p: Params = {}
    for w, b, bias_value in names:
        p[w] = xavier(rng, H, H + D, dtype)
        p[b] = np.full((H, 1), bias_value, dtype=dtype)
    return p
