"""Models built on any registered cell: a character language model and a sequence classifier.

Char LM (per time step t, column layout)::

    x_t = onehot(inputs[t])            (V, B)
    h_t = cell(x_t, state_{t-1})       (H, B)
    y_t = Wy·h_t + by                  (V, B)   logits
    loss = mean over T·B of  −log softmax(y_t)[targets[t]]

Classifier (many-to-one): the logits ``Wy·h_T + by`` of the *last* hidden state predict one label
per sequence. Regressor: the same head with one output and a squared-error loss.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from lstm_reference.cells import get_cell, zero_state
from lstm_reference.init import Params, xavier
from lstm_reference.lstm import seq_matmul, seq_outer
from lstm_reference.vocab import one_hot


class CellLike(Protocol):
    """What the models need from a cell (the ``CellSpec`` of :mod:`lstm_reference.cells`)."""

    name: str
    state_names: tuple[str, ...]
    init: Callable[..., Params]
    forward: Callable[..., tuple[np.ndarray, tuple, Any]]
    backward: Callable[..., tuple[np.ndarray, tuple, Params]]


State = tuple[np.ndarray, ...]


def get_cell_spec(cell: str | CellLike) -> CellLike:
    """Look a cell up by name in the registry (a spec object is returned unchanged)."""
    if not isinstance(cell, str):
        return cell
    return get_cell(cell)


def initial_state(
    cell: str | CellLike, hidden_size: int, batch: int, dtype: np.dtype | type = np.float64
) -> State:
    """Zeros for every state component of the cell, each (H, B)."""
    return zero_state(get_cell_spec(cell), hidden_size, batch, dtype)


def hidden_size_of(p: Params) -> int:
    """H, read from the output layer Wy (K, H)."""
    return int(p["Wy"].shape[1])


def cell_params(p: Params) -> Params:
    """The parameters of the recurrent cell alone (everything except the output layer)."""
    return {k: v for k, v in p.items() if k not in ("Wy", "by")}


def log_softmax(z: np.ndarray, axis: int) -> np.ndarray:
    """Numerically stable log-softmax: subtract the max before exponentiating."""
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def _add_head(p: Params, n_out: int, hidden_size: int, rng: np.random.Generator, dtype) -> Params:
    p["Wy"] = xavier(rng, n_out, hidden_size, dtype)
    p["by"] = np.zeros((n_out, 1), dtype=dtype)
    return p


def _state_or_zero(state: State | None, spec: CellLike, H: int, B: int, dtype) -> State:
    if state is None:
        return initial_state(spec, H, B, dtype)
    return tuple(state)


# --------------------------------------------------------------------------- char LM


def init_char_lm(
    vocab_size: int,
    hidden_size: int,
    cell: str | CellLike = "lstm",
    rng: np.random.Generator | None = None,
    dtype: np.dtype | type = np.float64,
) -> Params:
    """Cell parameters for input size V plus the output layer Wy (V, H), by (V, 1).

    The same parameters as a classifier with V inputs and V classes (:func:`init_classifier`).
    """
    return init_classifier(vocab_size, hidden_size, vocab_size, cell, rng, dtype)


def char_lm_forward(
    p: Params, inputs: np.ndarray, state: State | None = None, cell: str | CellLike = "lstm"
) -> tuple[np.ndarray, State, Any]:
    """Logits (T, V, B) for int inputs (T, B), the final state, and a cache for the backward."""
    spec = get_cell_spec(cell)
    inputs = np.asarray(inputs)
    if inputs.ndim == 1:
        inputs = inputs[:, None]
    V, H = p["Wy"].shape
    dtype = p["Wy"].dtype
    X = one_hot(inputs, V, dtype)
    state = _state_or_zero(state, spec, H, inputs.shape[1], dtype)
    hs, final, cell_cache = spec.forward(X, state, cell_params(p))
    logits = seq_matmul(p["Wy"], hs)
    logits += p["by"]
    return logits, final, (spec, hs, cell_cache)


def char_lm_loss(
    p: Params,
    inputs: np.ndarray,
    targets: np.ndarray,
    state: State | None = None,
    cell: str | CellLike = "lstm",
) -> tuple[float, Params, State]:
    """Mean cross-entropy over T·B of predicting ``targets`` (T, B) from ``inputs`` (T, B).

    Returns the loss, its exact gradient for every parameter (same keys and shapes as ``p``),
    and the final state (to carry into the next chunk of truncated BPTT).
    """
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    if inputs.ndim == 1:
        inputs, targets = inputs[:, None], targets[:, None]
    if inputs.shape != targets.shape:
        raise ValueError(f"inputs {inputs.shape} and targets {targets.shape} differ in shape")
    logits, final, (spec, hs, cell_cache) = char_lm_forward(p, inputs, state, cell)
    T, _, B = logits.shape
    logp = log_softmax(logits, axis=1)
    t_idx, b_idx = np.meshgrid(np.arange(T), np.arange(B), indexing="ij")
    loss = -float(logp[t_idx, targets, b_idx].mean())
    dlogits = np.exp(logp)  # softmax
    dlogits[t_idx, targets, b_idx] -= 1.0
    dlogits /= T * B
    grads = _head_backward(p, dlogits, hs)
    dhs = seq_matmul(np.ascontiguousarray(p["Wy"].T), dlogits)
    _, _, cell_grads = spec.backward(dhs, cell_cache, None)
    grads.update(cell_grads)
    return loss, {k: grads[k] for k in p}, final


def _head_backward(p: Params, dlogits: np.ndarray, hs: np.ndarray) -> Params:
    """dWy, dby for logits = Wy·h + by over (T, ·, B) sequences."""
    return {"Wy": seq_outer(dlogits, hs), "by": dlogits.sum(axis=(0, 2))[:, None]}


def sample(
    p: Params,
    seed_ids: Sequence[int] | np.ndarray,
    n: int,
    temperature: float = 1.0,
    rng: np.random.Generator | None = None,
    cell: str | CellLike = "lstm",
    state: State | None = None,
) -> np.ndarray:
    """Generate ``n`` character ids after feeding ``seed_ids`` (at least one id).

    Each next id is drawn from softmax(logits / temperature); temperature → 0 approaches
    greedy decoding. Returns int64 (n,).
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    seed_ids = np.asarray(seed_ids, dtype=np.int64).reshape(-1)
    if seed_ids.size == 0:
        raise ValueError("sample needs at least one seed id")
    rng = np.random.default_rng() if rng is None else rng
    logits, state, _ = char_lm_forward(p, seed_ids[:, None], state, cell)
    out = np.empty(n, dtype=np.int64)
    last = logits[-1, :, 0]
    for k in range(n):
        prob = np.exp(log_softmax(last.astype(np.float64) / temperature, axis=0))
        nxt = int(rng.choice(prob.size, p=prob / prob.sum()))
        out[k] = nxt
        if k + 1 < n:
            logits, state, _ = char_lm_forward(p, np.array([[nxt]]), state, cell)
            last = logits[-1, :, 0]
    return out


# --------------------------------------------------------------------------- many-to-one


def init_classifier(
    input_size: int,
    hidden_size: int,
    n_classes: int,
    cell: str | CellLike = "lstm",
    rng: np.random.Generator | None = None,
    dtype: np.dtype | type = np.float64,
) -> Params:
    """Cell parameters for input size D plus a head Wy (K, H), by (K, 1) on the last h.

    For a regressor (the adding problem) use ``n_classes=1``.
    """
    rng = np.random.default_rng() if rng is None else rng
    spec = get_cell_spec(cell)
    p = spec.init(input_size, hidden_size, rng, dtype)
    return _add_head(p, n_classes, hidden_size, rng, dtype)


def sequence_forward(
    p: Params, X: np.ndarray, state: State | None = None, cell: str | CellLike = "lstm"
) -> tuple[np.ndarray, Any]:
    """Head outputs (K, B) from the last hidden state of X (T, D, B), and a cache."""
    spec = get_cell_spec(cell)
    H = hidden_size_of(p)
    state = _state_or_zero(state, spec, H, X.shape[2], p["Wy"].dtype)
    hs, _, cell_cache = spec.forward(X, state, cell_params(p))
    out = p["Wy"] @ hs[-1] + p["by"]
    return out, (spec, hs, cell_cache)


def _sequence_backward(p: Params, dout: np.ndarray, cache: Any) -> Params:
    spec, hs, cell_cache = cache
    grads: Params = {"Wy": dout @ hs[-1].T, "by": dout.sum(axis=1, keepdims=True)}
    dhs = np.zeros_like(hs)
    dhs[-1] = p["Wy"].T @ dout
    _, _, cell_grads = spec.backward(dhs, cell_cache, None)
    grads.update(cell_grads)
    return {k: grads[k] for k in p}


def classifier_loss(
    p: Params,
    X: np.ndarray,
    y: np.ndarray,
    state: State | None = None,
    cell: str | CellLike = "lstm",
) -> tuple[float, Params, np.ndarray]:
    """Mean cross-entropy over the batch of predicting labels y (B,) from X (T, D, B).

    Returns the loss, exact gradients (same keys as ``p``) and the logits (K, B).
    """
    y = np.asarray(y)
    logits, cache = sequence_forward(p, X, state, cell)
    B = logits.shape[1]
    logp = log_softmax(logits, axis=0)
    cols = np.arange(B)
    loss = -float(logp[y, cols].mean())
    dlogits = np.exp(logp)
    dlogits[y, cols] -= 1.0
    dlogits /= B
    return loss, _sequence_backward(p, dlogits, cache), logits


def regressor_loss(
    p: Params,
    X: np.ndarray,
    y: np.ndarray,
    state: State | None = None,
    cell: str | CellLike = "lstm",
) -> tuple[float, Params, np.ndarray]:
    """Mean squared error over the batch of a scalar prediction per sequence.

    X (T, D, B), y (B,) floats, head with one output. Returns loss, gradients, predictions (1, B).
    """
    y = np.asarray(y, dtype=p["Wy"].dtype)
    pred, cache = sequence_forward(p, X, state, cell)
    err = pred - y[None, :]
    loss = float(np.mean(err**2))
    dpred = 2.0 * err / err.size
    return loss, _sequence_backward(p, dpred, cache), pred
