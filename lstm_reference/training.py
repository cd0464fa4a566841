"""Reusable training loops.

* :func:`train_char_lm` — truncated backpropagation through time over one long text. The text
  is cut into B parallel streams (columns); each step trains on the next ``seq_length``
  characters of every stream, starting from the h (and C) the previous chunk ended with, so
  the model sees context longer than one chunk while gradients stop at the chunk boundary.
* :func:`train_classifier` — many-to-one training on a synthetic task, fresh data every step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from lstm_reference.data.corpus import LANGUAGES, language_positions
from lstm_reference.data.tasks import TaskSpec, get_task
from lstm_reference.init import Params
from lstm_reference.model import (
    CellLike,
    State,
    char_lm_forward,
    char_lm_loss,
    classifier_loss,
    get_cell_spec,
    hidden_size_of,
    init_classifier,
    initial_state,
    log_softmax,
    regressor_loss,
    sequence_forward,
)
from lstm_reference.optim import Optimizer, clip_elementwise, clip_global_norm, make_optimizer
from lstm_reference.vocab import Vocab


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite."""


# --------------------------------------------------------------------------- char LM


def make_streams(ids: np.ndarray, batch_size: int) -> np.ndarray:
    """Cut ids (N,) into B contiguous streams of equal length L = N // B -> (B, L)."""
    L = len(ids) // batch_size
    return np.asarray(ids[: L * batch_size], dtype=np.int64).reshape(batch_size, L)


def steps_per_epoch(n_chars: int, batch_size: int, seq_length: int) -> int:
    """Chunks of ``seq_length`` (input, next-char target) pairs per stream; 0 if too short."""
    return max((n_chars // batch_size - 1) // seq_length, 0)


def chunk(streams: np.ndarray, k: int, seq_length: int) -> tuple[np.ndarray, np.ndarray]:
    """The k-th chunk: inputs and targets (T, B), targets shifted by one character."""
    s = k * seq_length
    return streams[:, s : s + seq_length].T, streams[:, s + 1 : s + seq_length + 1].T


@dataclass
class LMRun:
    """Where a char-LM training run stands: enough to continue it exactly."""

    params: Params
    optimizer: Optimizer
    cell: str
    batch_size: int
    seq_length: int
    step: int = 0  # steps done so far (over all epochs)
    state: State | None = None  # carried across chunks; reset at every epoch start
    losses: list[float] = field(default_factory=list)


def train_char_lm(
    run: LMRun,
    ids: np.ndarray,
    steps: int,
    clip: float | None = 5.0,
    max_norm: float | None = None,
    callback: Callable[[int, float], None] | None = None,
) -> LMRun:
    """Do ``steps`` more truncated-BPTT steps on the text ids (N,), updating ``run`` in place.

    Step number s trains on chunk ``s % steps_per_epoch`` of the streams; the carried state is
    zeroed when a new epoch starts (the streams begin again). Gradients are clipped elementwise
    to [-clip, clip] and, if ``max_norm`` is given, to that global norm. ``callback(step, loss)``
    is called after every step. Raises :class:`TrainingDivergedError` on a NaN/inf loss.
    """
    streams = make_streams(ids, run.batch_size)
    per_epoch = steps_per_epoch(len(ids), run.batch_size, run.seq_length)
    if per_epoch == 0:
        raise ValueError(
            f"text of {len(ids)} characters is too short for batch size {run.batch_size} "
            f"and sequence length {run.seq_length}"
        )
    spec = get_cell_spec(run.cell)
    H = hidden_size_of(run.params)
    dtype = run.params["Wy"].dtype
    for _ in range(steps):
        k = run.step % per_epoch
        if k == 0 or run.state is None:
            run.state = initial_state(spec, H, run.batch_size, dtype)
        inputs, targets = chunk(streams, k, run.seq_length)
        loss, grads, run.state = char_lm_loss(run.params, inputs, targets, run.state, spec)
        if not np.isfinite(loss):
            raise TrainingDivergedError(f"loss became {loss} at step {run.step + 1}")
        if clip is not None:
            clip_elementwise(grads, clip)
        if max_norm is not None:
            clip_global_norm(grads, max_norm)
        run.optimizer.step(run.params, grads)
        run.step += 1
        run.losses.append(loss)
        if callback is not None:
            callback(run.step, loss)
    return run


def evaluate_char_lm(
    p: Params, ids: np.ndarray, cell: str | CellLike = "lstm", batch_size: int = 8
) -> float:
    """Mean next-character cross-entropy (nats) of ``p`` on the text ids (N,).

    The text is cut into ``batch_size`` contiguous streams (fewer if it is short), each read
    once from the zero state. exp() of the result is the perplexity.
    """
    B = max(1, min(batch_size, (len(ids) - 1) // 2))
    streams = make_streams(ids, B)  # (B, L)
    if streams.shape[1] < 2:
        raise ValueError(f"text of {len(ids)} characters is too short to evaluate")
    inputs, targets = streams[:, :-1].T, streams[:, 1:].T
    logits, _, _ = char_lm_forward(p, inputs, None, cell)
    logp = log_softmax(logits.astype(np.float64), axis=1)  # (T, V, B)
    T = inputs.shape[0]
    return float(-logp[np.arange(T)[:, None], targets, np.arange(B)[None, :]].mean())


# --------------------------------------------------------------------------- many-to-one


def _task_spec(task: str | TaskSpec | Callable, n_classes: int | None) -> TaskSpec:
    if isinstance(task, TaskSpec):
        return task
    if isinstance(task, str):
        return get_task(task)
    for spec in (get_task(name) for name in ("temporal_order", "first_symbol", "adding")):
        if spec.fn is task:
            return spec
    X, y = task(T=10, batch=2, seed=0)
    if np.issubdtype(np.asarray(y).dtype, np.floating):
        return TaskSpec(getattr(task, "__name__", "task"), task, X.shape[1], 1, "regression", 0.0)
    if n_classes is None:
        raise ValueError("pass n_classes for a task function that is not in TASKS")
    return TaskSpec(
        getattr(task, "__name__", "task"), task, X.shape[1], n_classes, "classification",
        1.0 / n_classes,
    )


def evaluate_task(
    p: Params,
    task: str | TaskSpec | Callable,
    T: int,
    n: int = 1000,
    seed: int = 12345,
    cell: str | CellLike = "lstm",
    n_classes: int | None = None,
) -> dict[str, float]:
    """Score ``p`` on ``n`` fresh sequences: accuracy (classification) or MSE (regression)."""
    spec = _task_spec(task, n_classes)
    X, y = spec.fn(T=T, batch=n, seed=seed, dtype=p["Wy"].dtype)
    out, _ = sequence_forward(p, X, None, cell)
    if spec.kind == "regression":
        from lstm_reference.data.tasks import adding_metrics

        return adding_metrics(out[0], y)
    return {"accuracy": float(np.mean(np.argmax(out, axis=0) == y))}


def train_classifier(
    task_fn: str | TaskSpec | Callable,
    cell: str | CellLike = "lstm",
    T: int = 50,
    steps: int = 300,
    hidden: int = 32,
    lr: float = 1e-2,
    seed: int = 0,
    batch: int = 32,
    optimizer: str = "adam",
    clip: float | None = 5.0,
    eval_every: int = 0,
    eval_size: int = 500,
    n_classes: int | None = None,
    callback: Callable[[int, float], None] | None = None,
) -> tuple[Params, dict[str, list[float]]]:
    """Train a many-to-one model on a task, with a fresh batch of data every step.

    ``task_fn`` is a task name (see :data:`~lstm_reference.data.tasks.TASKS`), a ``TaskSpec`` or
    a function ``fn(T, batch, seed) -> (X (T, D, B), y (B,))`` (then give ``n_classes``, unless
    y is float, i.e. regression). Returns the parameters and a history with per-step ``loss``;
    with ``eval_every > 0`` also ``eval_step`` and ``eval_accuracy`` (or ``eval_mse``) on held-out
    data (a seed the training batches never use).
    """
    spec = _task_spec(task_fn, n_classes)
    rng = np.random.default_rng(seed)
    p = init_classifier(spec.input_size, hidden, spec.n_outputs, cell, rng)
    opt = make_optimizer(optimizer, lr)
    loss_fn = regressor_loss if spec.kind == "regression" else classifier_loss
    data_seeds = np.random.default_rng([seed, 1]).integers(2**62, size=steps)
    eval_seed = int(np.random.default_rng([seed, 2]).integers(2**62)) | 1 << 62
    history: dict[str, list[float]] = {"loss": []}
    if eval_every:
        history["eval_step"] = []
        history["eval_" + ("mse" if spec.kind == "regression" else "accuracy")] = []
    for s in range(steps):
        X, y = spec.fn(T=T, batch=batch, seed=int(data_seeds[s]))
        loss, grads, _ = loss_fn(p, X, y, None, cell)
        if not np.isfinite(loss):
            raise TrainingDivergedError(f"loss became {loss} at step {s + 1}")
        if clip is not None:
            clip_elementwise(grads, clip)
        opt.step(p, grads)
        history["loss"].append(loss)
        if callback is not None:
            callback(s + 1, loss)
        if eval_every and ((s + 1) % eval_every == 0 or s + 1 == steps):
            scores = evaluate_task(p, spec, T, eval_size, eval_seed, cell)
            history["eval_step"].append(s + 1)
            key = "mse" if spec.kind == "regression" else "accuracy"
            history["eval_" + key].append(scores[key])
    return p, history


# --------------------------------------------------------------------------- built-in corpus


def language_scores(
    p: Params, vocab: Vocab, text: str, cell: str | CellLike = "lstm"
) -> tuple[np.ndarray, np.ndarray]:
    """Log-probability of every candidate language at every "speak fluent " in ``text``.

    Runs the model over the whole text from the zero state (carrying the state from story to
    story) and, at each position right after "speak fluent ", scores each of the K languages
    by log p(word + "." | everything before). Returns scores (N, K) and the true ids (N,).
    """
    spec = get_cell_spec(cell)
    positions = language_positions(text)
    if not positions:
        raise ValueError('the text contains no "speak fluent <language>" to score')
    ids = vocab.encode(text)
    H = hidden_size_of(p)
    state = initial_state(spec, H, 1, p["Wy"].dtype)
    states, prev = [], 0
    for pos, _ in positions:  # the state right after each "speak fluent "
        _, state, _ = char_lm_forward(p, ids[prev:pos, None], state, spec)
        states.append(state)
        prev = pos
    N, K = len(states), len(LANGUAGES)
    words = [vocab.encode(lang + ".") for lang in LANGUAGES]
    L = max(len(w) for w in words)
    word_ids = np.zeros((L, K), dtype=np.int64)
    mask = np.zeros((L, K), dtype=bool)
    for k, w in enumerate(words):
        word_ids[: len(w), k], mask[: len(w), k] = w, True
    # one column per (position, candidate language)
    start = tuple(
        np.repeat(np.concatenate(parts, axis=1), K, axis=1) for parts in zip(*states, strict=True)
    )
    first = p["Wy"] @ start[0] + p["by"]  # predicts the word's first character
    inputs = np.tile(word_ids[:-1], (1, N))
    logits, _, _ = char_lm_forward(p, inputs, start, spec)
    logits = np.concatenate([first[None], logits], axis=0)  # (L, V, N·K)
    logp = log_softmax(logits, axis=1)
    targets = np.tile(word_ids, (1, N))
    picked = np.take_along_axis(logp, targets[:, None, :], axis=1)[:, 0, :]  # (L, N·K)
    scores = (picked * np.tile(mask, (1, N))).sum(axis=0).reshape(N, K)
    return scores, np.array([lang for _, lang in positions], dtype=np.int64)


def language_accuracy(
    p: Params, vocab: Vocab, text: str, cell: str | CellLike = "lstm"
) -> dict[str, float]:
    """How often the most likely language after "speak fluent " is the story's language.

    ``text`` is made of stories of :func:`~lstm_reference.data.corpus.colah_corpus`. Returns
    ``accuracy``, ``chance`` (1/K: what a model that ignores the country gets) and ``n``.
    """
    scores, truth = language_scores(p, vocab, text, cell)
    return {
        "accuracy": float(np.mean(np.argmax(scores, axis=1) == truth)),
        "chance": 1.0 / len(LANGUAGES),
        "n": float(len(truth)),
    }
