"""Checks for exercise 4 (long-range dependencies): the temporal order generator, gradient flow,
and the trained LSTM / vanilla RNN judged on fresh sequences."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.checks.base import Check, Verdict, register, run_check
from autograder.checks.judging import (
    RejectError,
    as_array,
    as_mapping,
    close,
    judged,
    largest_error,
    plain,
)
from lstm_reference import analysis
from lstm_reference.data import tasks
from lstm_reference.model import init_classifier, sequence_forward

GEN_LENGTHS = (20, 50, 100)  # multiples of 10: the windows' ends are whole numbers
GEN_BATCH = 2000
EVAL_T = 50
EVAL_BATCH = 600
LSTM_MIN_ACC = 0.95
RNN_MAX_ACC = 0.6
FIRST_SYMBOL_MIN_ACC = 0.95
FIRST_SYMBOL_T = 20  # the control's length: an RNN latches a fixed position this far back
D_ORDER = len(tasks.ORDER_SYMBOLS)
CELL_KEYS = {
    "lstm": ("Wf", "Wi", "WC", "Wo", "bf", "bi", "bC", "bo"),
    "rnn": ("Wh", "bh"),
}


# --------------------------------------------------------------------------- generator


def _gen_inputs(seed: int) -> dict[str, Any]:
    return {"seed": seed, "lengths": list(GEN_LENGTHS), "batch": GEN_BATCH}


def _gen_run(fn: Any, inputs: dict[str, Any]) -> Any:
    out = []
    for k, T in enumerate(inputs["lengths"]):
        rng = np.random.default_rng([inputs["seed"], k])
        X, y = fn(T, inputs["batch"], rng)
        X = np.asarray(X)
        # send the symbol ids, not the (T, 8, B) one-hot block: 8x smaller, same information
        onehot_ok = bool(
            X.ndim == 3
            and X.shape[1] == D_ORDER
            and np.all((X == 0) | (X == 1))
            and np.all(X.sum(axis=1) == 1)
        )
        ids = X.argmax(axis=1).astype(np.int8) if X.ndim == 3 else np.zeros((0,), np.int8)
        rng2 = np.random.default_rng([inputs["seed"], k])
        X2, _ = fn(T, inputs["batch"], rng2)
        same = bool(np.array_equal(np.asarray(X2), X))
        rng3 = np.random.default_rng([inputs["seed"] + 1, k])
        X3, _ = fn(T, inputs["batch"], rng3)
        differs = not np.array_equal(np.asarray(X3), X)
        out.append(
            {
                "shape": list(X.shape),
                "onehot": onehot_ok,
                "ids": ids,
                "y": plain(y),
                "repeatable": same,
                "rng_used": differs,
            }
        )
    return out


@judged
def _gen_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    B = inputs["batch"]
    if not isinstance(outputs, list) or len(outputs) != len(inputs["lengths"]):
        raise RejectError("temporal_order should return (X, y)")
    for T, out in zip(inputs["lengths"], outputs, strict=True):
        out = as_mapping(out, "generator output", ("shape", "onehot", "ids", "y"))
        D = D_ORDER
        if list(out["shape"]) != [T, D, B]:
            raise RejectError(
                f"X has shape {tuple(out['shape'])} for T={T}, batch={B}; expected "
                f"(T, 8, batch) = {(T, D, B)}"
            )
        if not out["onehot"]:
            raise RejectError(
                "X is not one-hot: every X[t, :, b] must be 0 everywhere except a single 1"
            )
        ids = np.asarray(out["ids"]).astype(np.int64)
        y = as_array(out["y"], "y", (B,))
        if not np.all(y == np.round(y)):
            raise RejectError("y should hold integer class labels 0..3")
        y = y.astype(np.int64)
        if not out["repeatable"]:
            raise RejectError(
                "the same rng seed gave different sequences: draw every random "
                "number from the rng argument (not np.random.*)"
            )
        if not out["rng_used"]:
            raise RejectError(
                "different rng seeds gave identical sequences: draw the sequences "
                "from the rng argument"
            )
        if not np.all(ids[0] == tasks.ORDER_SYMBOLS.index("B")):
            raise RejectError(f"T={T}: every sequence must start with B (symbol 4) at t=0")
        if not np.all(ids[-1] == tasks.ORDER_SYMBOLS.index("E")):
            raise RejectError(f"T={T}: every sequence must end with E (symbol 5) at t=T-1")
        relevant = ids >= 6  # X or Y
        counts = relevant.sum(axis=0)
        if not np.all(counts == 2):
            b = int(np.argmax(counts != 2))
            raise RejectError(
                f"T={T}: sequence {b} holds {int(counts[b])} X/Y symbols, expected exactly 2"
            )
        if np.any((ids[1:-1] == 4) | (ids[1:-1] == 5)):
            raise RejectError(f"T={T}: B and E may only appear at the first and last step")
        w1, w2 = tasks.order_windows(T)
        pos = np.sort(np.argwhere(relevant.T)[:, 1].reshape(B, 2), axis=1)  # (B, 2) positions
        for k, (w, name) in enumerate(((w1, "first"), (w2, "second"))):
            bad = (pos[:, k] < w.start) | (pos[:, k] > w.stop - 1)
            if np.any(bad):
                b = int(np.argmax(bad))
                raise RejectError(
                    f"T={T}: the {name} X/Y of sequence {b} is at t={int(pos[b, k])}, outside "
                    f"its window [{w.start}, {w.stop - 1}] (round(0.1T)..round(0.2T) for the "
                    "first, round(0.5T)..round(0.6T) for the second)"
                )
            if len(w) > 1 and len(np.unique(pos[:, k])) < 2:
                raise RejectError(
                    f"T={T}: the {name} X/Y is always at t={int(pos[0, k])}; draw "
                    "its position uniformly from the window"
                )
        cols = np.arange(B)
        first_y = ids[pos[:, 0], cols] == 7
        second_y = ids[pos[:, 1], cols] == 7
        want = 2 * first_y + second_y
        if not np.array_equal(y, want):
            b = int(np.argmax(y != want))
            pair = tasks.ORDER_SYMBOLS[ids[pos[b, 0], b]] + tasks.ORDER_SYMBOLS[ids[pos[b, 1], b]]
            raise RejectError(
                f"T={T}: sequence {b} has {pair} (in that order) but label "
                f"{int(y[b])}; expected {int(want[b])} = 2·[first is Y] + "
                "[second is Y] (XX=0, XY=1, YX=2, YY=3)"
            )
        freq = np.bincount(y, minlength=4) / B
        if np.any(np.abs(freq - 0.25) > 0.06):
            raise RejectError(
                f"T={T}: class frequencies {np.round(freq, 3).tolist()} are far from "
                "uniform: draw X or Y with probability 1/2 each"
            )
        distract = ids[1:-1][~relevant[1:-1]]
        dfreq = np.bincount(distract, minlength=8)[:4] / max(distract.size, 1)
        if np.any(np.abs(dfreq - 0.25) > 0.03):
            raise RejectError(
                f"T={T}: distractor frequencies {np.round(dfreq, 3).tolist()} are "
                "not uniform over a, b, c, d"
            )
    return Verdict(True)


CHECK_GENERATOR = register(Check("ex4.temporal_order", _gen_inputs, _gen_run, _gen_judge))


def check_temporal_order(fn: Any, seed: int | None = None) -> None:
    """temporal_order(T, batch, rng) -> X (T, 8, batch), y (batch,): properties on fresh seeds."""
    run_check(CHECK_GENERATOR.name, fn, seed)


# --------------------------------------------------------------------------- gradient flow


def _flow_inputs(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    T, B, H = int(rng.integers(12, 25)), int(rng.integers(2, 5)), int(rng.integers(4, 9))
    X, _ = tasks.temporal_order(T, B, seed)
    cases = {}
    for cell in ("lstm", "rnn"):
        p = init_classifier(D_ORDER, H, 4, cell=cell, rng=rng)
        cases[cell] = {k: v for k, v in p.items() if k not in ("Wy", "by")}
    return {"X": X, "params": cases}


def _flow_run(fn: Any, inputs: dict[str, Any]) -> Any:
    out = {}
    for cell, p in inputs["params"].items():
        out[cell] = plain(fn(cell, {k: v.copy() for k, v in p.items()}, inputs["X"].copy()))
    return out


@judged
def _flow_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    X = inputs["X"]
    T = X.shape[0]
    out = as_mapping(outputs, "gradient_flow outputs", ("lstm", "rnn"))
    for cell, p in inputs["params"].items():
        want = analysis.gradient_flow(cell, p, X)
        got = as_array(out[cell], f"gradient_flow({cell!r}, ...)")
        if got.shape != (T,):
            raise RejectError(
                f"gradient_flow({cell!r}, ...) has shape {got.shape}, expected "
                f"(T,) = ({T},): one norm per input step"
            )
        if close(got, want[::-1]):
            raise RejectError(
                f"gradient_flow({cell!r}, ...) is reversed: entry t is the norm for "
                "input step t (the last entry is the last step)"
            )
        if not close(got, want, 1e-6):
            raise RejectError(
                f"gradient_flow({cell!r}, ...) does not match: "
                f"{largest_error(got, want)}. L = sum of h_T, and entry t is "
                "‖∂L/∂x_t‖ averaged over the batch columns"
            )
    return Verdict(True)


CHECK_FLOW = register(Check("ex4.gradient_flow", _flow_inputs, _flow_run, _flow_judge))


def check_gradient_flow(fn: Any, seed: int | None = None) -> None:
    """gradient_flow(cell, p, X) -> (T,) norms of ∂(Σ h_T)/∂x_t, for the LSTM and the RNN."""
    run_check(CHECK_FLOW.name, fn, seed)


# --------------------------------------------------------------------------- trained models


def _params(value: Any, cell: str, n_classes: int, D: int) -> dict[str, np.ndarray]:
    """Validate a trained parameter dict: the cell's keys plus Wy (K, H), by (K, 1)."""
    keys = (*CELL_KEYS[cell], "Wy", "by")
    value = as_mapping(value, f"the trained {cell} parameters", keys)
    p = {k: as_array(value[k], f"{cell}[{k!r}]") for k in keys}
    K, H = p["Wy"].shape if p["Wy"].ndim == 2 else (None, None)
    if K != n_classes:
        raise RejectError(f"{cell}['Wy'] has shape {p['Wy'].shape}, expected ({n_classes}, H)")
    W = "Wf" if cell == "lstm" else "Wh"
    if p[W].shape != (H, H + D):
        raise RejectError(
            f"{cell}[{W!r}] has shape {p[W].shape}, expected (H, H + D) = {(H, H + D)}"
        )
    return p


def accuracy(p: dict[str, np.ndarray], cell: str, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of sequences whose largest logit is the label."""
    logits, _ = sequence_forward(p, X, cell=cell)
    return float(np.mean(np.argmax(logits, axis=0) == y))


def _trained_inputs(seed: int) -> dict[str, Any]:
    return {"seed": seed}


def _trained_run(trained: Any, inputs: dict[str, Any]) -> Any:
    return plain(trained)


@judged
def _trained_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    D = D_ORDER
    out = as_mapping(outputs, "TRAINED", ("lstm", "rnn"))
    X, y = tasks.temporal_order(EVAL_T, EVAL_BATCH, inputs["seed"])
    acc = {cell: accuracy(_params(out[cell], cell, 4, D), cell, X, y) for cell in ("lstm", "rnn")}
    if acc["lstm"] < LSTM_MIN_ACC:
        raise RejectError(
            f"compared: TRAINED['lstm'] on {EVAL_BATCH} fresh temporal-order sequences "
            f"(T={EVAL_T}): {acc['lstm']:.1%} right; it should reach {LSTM_MIN_ACC:.0%}. It must "
            f"be trained at T={EVAL_T} with forget-gate bias 1. A correct LSTM sometimes stalls "
            "near chance (25-35 %) on one data stream: train it again with another seed; if it "
            "stays near chance for every seed, check the training loop"
        )
    if acc["rnn"] > RNN_MAX_ACC:
        raise RejectError(
            f"your 'rnn' reaches {acc['rnn']:.1%} on fresh sequences (T={EVAL_T}): a vanilla RNN "
            "trained with the same budget stays near chance (25%). Did you train at T=50?"
        )
    return Verdict(True)


CHECK_TRAINED = register(Check("ex4.trained_models", _trained_inputs, _trained_run, _trained_judge))


def check_trained_models(trained: Any, seed: int | None = None) -> None:
    """trained = {"lstm": params, "rnn": params} at T=50, evaluated on fresh sequences."""
    run_check(CHECK_TRAINED.name, trained, seed)


@judged
def _first_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    X, y = tasks.first_symbol(FIRST_SYMBOL_T, EVAL_BATCH, inputs["seed"])
    acc = accuracy(_params(outputs, "rnn", 4, X.shape[1]), "rnn", X, y)
    if acc < FIRST_SYMBOL_MIN_ACC:
        raise RejectError(
            f"your RNN remembers the first symbol in {acc:.1%} of fresh sequences "
            f"(T={FIRST_SYMBOL_T}); it should reach {FIRST_SYMBOL_MIN_ACC:.0%}: train it on "
            f"first_symbol(T={FIRST_SYMBOL_T}, ...)"
        )
    return Verdict(True)


CHECK_FIRST = register(Check("ex4.first_symbol_rnn", _trained_inputs, _trained_run, _first_judge))


def check_first_symbol_rnn(params: Any, seed: int | None = None) -> None:
    """A vanilla RNN trained on first_symbol at T=50, evaluated on fresh sequences."""
    run_check(CHECK_FIRST.name, params, seed)


#: check -> the checks of the functions it uses (see ``autograder.checks.ex1.REQUIRES``):
#: the trained models learn from the student's own generator
REQUIRES: dict[str, tuple[str, ...]] = {
    CHECK_TRAINED.name: (CHECK_GENERATOR.name,),
}
