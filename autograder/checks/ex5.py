"""Checks for exercise 5 (the GRU, compared with the LSTM).

The GRU follows Colah's post (Chung et al. 2014): ``z = σ(Wz·[h; x] + bz)``,
``r = σ(Wr·[h; x] + br)``, ``h̃ = tanh(Wh·[r⊙h; x] + bh)``, ``h = (1 − z)⊙h + z⊙h̃``. Answers are
judged against :mod:`lstm_reference.gru` on inputs drawn from the seed; trained models are
judged by running their parameters with the reference on data the notebook never saw.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.checks.base import Check, Verdict, register, run_check
from autograder.checks.compare import close, grads_problem, plain, shape_problem, value_problem
from autograder.checks.ex1 import (
    IN_PLACE_RULE,
    _arr,
    _copy,
    _first,
    _mutated,
    _outputs_list,
    _sizes,
    _unpack,
    depends_on,
)
from lstm_reference import gru as ref
from lstm_reference.activations import sigmoid
from lstm_reference.data.corpus import colah_corpus
from lstm_reference.data.tasks import temporal_order
from lstm_reference.model import char_lm_loss, sequence_forward
from lstm_reference.vocab import Vocab

Params = dict[str, np.ndarray]
GRU_KEYS = ref.PARAM_NAMES
LSTM_KEYS = ("Wf", "Wi", "WC", "Wo", "bf", "bi", "bC", "bo")
HEAD_KEYS = ("Wy", "by")

# ----------------------------------------------------------------------- the shared experiment
# The notebook trains on TRAINING_TEXT and reports scores on the evaluation data below; the
# grader recomputes those scores from the trained parameters and also scores them on fresh data.

TRAIN_STORIES, TRAIN_SEED = 200, 0
EVAL_STORIES, EVAL_SEED = 20, 1
TASK, TASK_T, TASK_EVAL_BATCH, TASK_EVAL_SEED = "temporal_order", 20, 500, 1
LM_MAX_LOSS = 2.6  # nats per character on fresh text; the unigram entropy is about 3.1
TASK_MIN_ACCURACY = 0.8  # on fresh sequences; chance is 0.25


def training_text() -> str:
    return colah_corpus(n_stories=TRAIN_STORIES, seed=TRAIN_SEED)


@functools.cache
def corpus_vocab() -> Vocab:
    """The vocabulary of the training text (sorted characters)."""
    return Vocab.from_text(training_text())


def eval_text(seed: int = EVAL_SEED, stories: int = EVAL_STORIES) -> str:
    """Held-out stories (characters outside the training vocabulary removed)."""
    alphabet = set(corpus_vocab().chars)
    return "".join(ch for ch in colah_corpus(n_stories=stories, seed=seed) if ch in alphabet)


def eval_task(seed: int = TASK_EVAL_SEED, batch: int = TASK_EVAL_BATCH) -> tuple[np.ndarray,
                                                                                np.ndarray]:
    """Held-out temporal-order sequences: X (T, 8, B), y (B,)."""
    return temporal_order(T=TASK_T, batch=batch, seed=seed)


def lm_loss(p: Params, cell: str, text: str) -> float:
    """Mean next-character cross-entropy of a char model on ``text`` (reference cells)."""
    ids = corpus_vocab().encode(text)
    loss, _, _ = char_lm_loss(p, ids[:-1], ids[1:], None, cell)
    return float(loss)


def task_accuracy(p: Params, cell: str, X: np.ndarray, y: np.ndarray) -> float:
    logits, _ = sequence_forward(p, X, None, cell)
    return float(np.mean(np.argmax(logits, axis=0) == y))


# --------------------------------------------------------------------------- inputs


def random_gru_params(rng: np.random.Generator, D: int, H: int) -> Params:
    p = {}
    for g in ("z", "r", "h"):
        p["W" + g] = rng.normal(0.0, 0.6, (H, H + D))
        p["b" + g] = rng.normal(0.0, 0.5, (H, 1))
    return {k: p[k] for k in GRU_KEYS}


def _case(rng: np.random.Generator, kind: str) -> dict[str, Any]:
    T, D, H, B = _sizes(rng, kind)
    return {
        "p": random_gru_params(rng, D, H),
        "x": rng.normal(size=(D, B)),
        "h_prev": rng.normal(0.0, 0.8, (H, B)),
        "X": rng.normal(size=(T, D, B)),
        "dh": rng.normal(size=(H, B)),
        "dhs": rng.normal(size=(T, H, B)),
        "dh_T": rng.normal(size=(H, B)) if kind != "general" else None,
    }


def make_cases(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {"cases": [_case(rng, kind) for kind in ("general", "h1", "b1")]}


def _label(k: int, case: dict[str, Any]) -> str:
    T, D, B = case["X"].shape
    return f"[case {k}: T={T}, D={D}, H={case['h_prev'].shape[0]}, B={B}] "


def _variant_step(x, h_prev, p, bug: str) -> np.ndarray:
    """h of a GRU step with a typical bug (used only to name mistakes)."""
    if bug == "reset_after":
        return ref.gru_step_forward(x, h_prev, {**p, "bhn": np.zeros_like(p["bh"])}, True)[0]
    hx = np.concatenate([x, h_prev]) if bug == "xh" else np.concatenate([h_prev, x])
    z = sigmoid(p["Wz"] @ hx + p["bz"])
    r = sigmoid(p["Wr"] @ hx + p["br"])
    rh = h_prev if bug == "no_reset" else r * h_prev
    rhx = np.concatenate([x, rh]) if bug == "xh" else np.concatenate([rh, x])
    act = sigmoid if bug == "sigmoid_candidate" else np.tanh
    h_tilde = act(p["Wh"] @ rhx + p["bh"])
    if bug == "z_swapped":
        return z * h_prev + (1.0 - z) * h_tilde
    return (1.0 - z) * h_prev + z * h_tilde


STEP_BUGS = {
    "z_swapped": "z and 1 − z are swapped: in this course h = (1 − z) ⊙ h_prev + z ⊙ h̃ "
                 "(Colah's form; Cho et al. and PyTorch write it the other way round)",
    "no_reset": "the reset gate is not used: the candidate reads [r ⊙ h_prev; x]",
    "reset_after": "r is applied after the matmul (PyTorch's form); here it scales h_prev "
                   "before: h̃ = tanh(Wh·[r ⊙ h_prev; x] + bh)",
    "sigmoid_candidate": "the candidate h̃ uses tanh, not sigmoid",
    "xh": "the gates read [x; h_prev] but the convention is [h_prev; x] (hidden first)",
}


# --------------------------------------------------------------------------- step forward


def _step_forward_run(fn: Callable, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for case in inputs["cases"]:
        args = {k: _copy(case[k]) for k in ("x", "h_prev", "p")}
        res = _unpack(fn(args["x"], args["h_prev"], args["p"]), 2, "gru_step_forward")
        if isinstance(res, str):
            out.append({"error": res})
            continue
        out.append({"h": _arr(res[0]), "mutated": _mutated({k: case[k] for k in args}, args)})
    return out


def _mutation_problem(out: dict[str, Any], function: str) -> str | None:
    """The in-place rule broken by ``function``, naming the arguments it changed."""
    mutated = out.get("mutated") or []
    return (f"`{function}` changed {', '.join(mutated)} in place, which breaks {IN_PLACE_RULE}"
            if mutated else None)


def _step_forward_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    cases = inputs["cases"]
    outs = _outputs_list(outputs, len(cases))
    if isinstance(outs, str):
        return Verdict(False, outs)
    for k, (case, out) in enumerate(zip(cases, outs, strict=True)):
        if "error" in out:
            return Verdict(False, _label(k, case) + str(out["error"]))
        h_ref, _ = ref.gru_step_forward(case["x"], case["h_prev"], case["p"])
        problem = value_problem("h", out.get("h"), h_ref,
                                shape_hint="did you hard-code B=1 or mix up H and D?")
        if problem:
            for bug, text in STEP_BUGS.items():
                if close(out.get("h"), _variant_step(case["x"], case["h_prev"], case["p"], bug)):
                    problem += f" (likely bug: {text})"
                    break
            return Verdict(False, _label(k, case) + problem)
        problem = _mutation_problem(out, "gru_step_forward")
        if problem:
            return Verdict(False, _label(k, case) + problem)
    return Verdict(True)


STEP_FORWARD = register(Check("ex5.gru_step_forward", make_cases, _step_forward_run,
                              _step_forward_judge))


def check_gru_step_forward(fn: Callable, seed: int | None = None) -> None:
    """gru_step_forward(x, h_prev, p) -> (h, cache) against the reference GRU."""
    run_check(STEP_FORWARD.name, fn, seed)


# --------------------------------------------------------------------------- step backward

GRAD_HINTS = {
    "Wz": "dz = dh ⊙ (h̃ − h_prev); through σ: ⊙ z(1 − z)",
    "Wr": "r reaches the loss only through the candidate: dr = (Whᵀ·da_h)[:H] ⊙ h_prev",
    "Wh": "da_h = dh ⊙ z ⊙ (1 − h̃²); dWh = da_h · [r ⊙ h_prev; x]ᵀ",
    "bz": "a bias gradient sums over the batch (axis 1, keepdims)",
    "br": "a bias gradient sums over the batch (axis 1, keepdims)",
    "bh": "a bias gradient sums over the batch (axis 1, keepdims)",
}
DH_PREV_HINT = ("h_prev reaches h by four paths: directly (× (1 − z)), through the "
                "candidate (as r ⊙ h_prev), and through the z and r gates")


def _step_backward_run(fns: Any, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    forward, backward = fns
    out = []
    for case in inputs["cases"]:
        # dh is the student's to change in place; the forward inputs are not
        args = {k: _copy(case[k]) for k in ("x", "h_prev", "p")}
        originals = {k: case[k] for k in args}
        res = _unpack(forward(args["x"], args["h_prev"], args["p"]), 2, "gru_step_forward")
        if isinstance(res, str):
            out.append({"error": res})
            continue
        by_forward = _mutated(originals, args)
        back = _unpack(backward(case["dh"].copy(), res[1]), 3, "gru_step_backward")
        if isinstance(back, str):
            out.append({"error": back})
            continue
        out.append({"h": _arr(res[0]), "dx": _arr(back[0]), "dh_prev": _arr(back[1]),
                    "grads": plain(back[2]) if isinstance(back[2], dict) else str(type(back[2])),
                    "mutated_by_forward": by_forward,
                    "mutated": [m for m in _mutated(originals, args) if m not in by_forward]})
    return out


def _step_backward_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    cases = inputs["cases"]
    outs = _outputs_list(outputs, len(cases))
    if isinstance(outs, str):
        return Verdict(False, outs)
    for k, (case, out) in enumerate(zip(cases, outs, strict=True)):
        label = _label(k, case)
        if "error" in out:
            return Verdict(False, label + str(out["error"]))
        h_ref, cache = ref.gru_step_forward(case["x"], case["h_prev"], case["p"])
        if not close(out.get("h"), h_ref):
            return Verdict(False, label + depends_on("gru_step_forward", "h"))
        if out.get("mutated_by_forward"):
            return Verdict(False, label + depends_on("gru_step_forward",
                                                     "changes its inputs in place"))
        dx, dh_prev, grads = ref.gru_step_backward(case["dh"], cache)
        z = cache[1]
        got = out.get("dh_prev")
        if close(got, dh_prev - case["dh"] * (1.0 - z)) and not close(got, dh_prev):
            return Verdict(False, label + "dh_prev misses the direct path: h = (1 − z) ⊙ h_prev "
                                          "+ …, so add dh ⊙ (1 − z)")
        problem = _first([
            grads_problem(out.get("grads"), grads, GRAD_HINTS),
            value_problem("dh_prev", got, dh_prev, DH_PREV_HINT),
            value_problem("dx", out.get("dx"), dx,
                          "x reaches h through all three gates: sum the three contributions"),
            _mutation_problem(out, "gru_step_backward"),
        ])
        if problem:
            return Verdict(False, label + problem)
    return Verdict(True)


STEP_BACKWARD = register(Check("ex5.gru_step_backward", make_cases, _step_backward_run,
                               _step_backward_judge))


def check_gru_step_backward(fns: tuple[Callable, Callable], seed: int | None = None) -> None:
    """(gru_step_forward, gru_step_backward): dx, dh_prev and every parameter gradient."""
    run_check(STEP_BACKWARD.name, tuple(fns), seed)


# --------------------------------------------------------------------------- sequences


def _forward_run(fn: Callable, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for case in inputs["cases"]:
        args = {"X": case["X"].copy(), "h0": case["h_prev"].copy(), "p": _copy(case["p"])}
        res = _unpack(fn(args["X"], args["h0"], args["p"]), 3, "gru_forward")
        if isinstance(res, str):
            out.append({"error": res})
            continue
        originals = {"X": case["X"], "h0": case["h_prev"], "p": case["p"]}
        out.append({"hs": _arr(res[0]), "h_T": _arr(res[1]),
                    "mutated": _mutated(originals, args)})
    return out


def _forward_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    cases = inputs["cases"]
    outs = _outputs_list(outputs, len(cases))
    if isinstance(outs, str):
        return Verdict(False, outs)
    for k, (case, out) in enumerate(zip(cases, outs, strict=True)):
        label = _label(k, case)
        if "error" in out:
            return Verdict(False, label + str(out["error"]))
        hs, h_T, _ = ref.gru_forward(case["X"], case["h_prev"], case["p"])
        problem = _first([
            value_problem("hs", out.get("hs"), hs, "feed each step the previous step's h",
                          shape_hint="hs holds h_1 … h_T: (T, H, B)"),
            value_problem("h_T", out.get("h_T"), h_T, "h_T is the last entry of hs"),
            _mutation_problem(out, "gru_forward"),
        ])
        if problem:
            return Verdict(False, label + problem)
    return Verdict(True)


FORWARD = register(Check("ex5.gru_forward", make_cases, _forward_run, _forward_judge))


def check_gru_forward(fn: Callable, seed: int | None = None) -> None:
    """gru_forward(X, h0, p) -> (hs (T, H, B), h_T (H, B), cache)."""
    run_check(FORWARD.name, fn, seed)


def _backward_run(fns: Any, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    forward, backward = fns
    out = []
    for case in inputs["cases"]:
        res = _unpack(forward(case["X"].copy(), case["h_prev"].copy(), _copy(case["p"])), 3,
                      "gru_forward")
        if isinstance(res, str):
            out.append({"error": res})
            continue
        # dhs and dh_T are the student's to change in place (copies)
        back = _unpack(backward(case["dhs"].copy(), res[2], _copy(case["dh_T"])), 3,
                       "gru_backward")
        if isinstance(back, str):
            out.append({"error": back})
            continue
        out.append({"hs": _arr(res[0]), "dX": _arr(back[0]), "dh0": _arr(back[1]),
                    "grads": plain(back[2]) if isinstance(back[2], dict) else str(type(back[2]))})
    return out


def _backward_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    cases = inputs["cases"]
    outs = _outputs_list(outputs, len(cases))
    if isinstance(outs, str):
        return Verdict(False, outs)
    for k, (case, out) in enumerate(zip(cases, outs, strict=True)):
        label = _label(k, case)
        if "error" in out:
            return Verdict(False, label + str(out["error"]))
        hs, _, cache = ref.gru_forward(case["X"], case["h_prev"], case["p"])
        if not close(out.get("hs"), hs):
            return Verdict(False, label + depends_on("gru_forward", "hs"))
        dX, dh0, grads = ref.gru_backward(case["dhs"], cache, case["dh_T"])
        problem = _first([
            value_problem("dX", out.get("dX"), dX,
                          "at step t the gradient reaching h_t is dhs[t] plus the dh_prev "
                          "sent back by step t + 1"),
            value_problem("dh0", out.get("dh0"), dh0, "dh0 is the dh_prev of the first step "
                          "(start the walk from dh_T when it is given)"),
            grads_problem(out.get("grads"), grads,
                          {n: "parameter gradients are summed over all time steps"
                           for n in GRU_KEYS}),
        ])
        if problem:
            return Verdict(False, label + problem)
    return Verdict(True)


BACKWARD = register(Check("ex5.gru_backward", make_cases, _backward_run, _backward_judge))


def check_gru_backward(fns: tuple[Callable, Callable], seed: int | None = None) -> None:
    """(gru_forward, gru_backward): BPTT gradients, including dh_T from a later chunk."""
    run_check(BACKWARD.name, tuple(fns), seed)


# --------------------------------------------------------------------------- parameter count


def _count_inputs(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    D, H = int(rng.integers(2, 40)), int(rng.integers(2, 40))
    V = int(rng.integers(2, 30))
    shapes = {**{f"W{g}": (H, H + D) for g in "zrh"}, **{f"b{g}": (H, 1) for g in "zrh"},
              "Wy": (V, H), "by": (V, 1)}
    return {"shapes": {k: list(s) for k, s in shapes.items()}}


def _count_run(fn: Callable, inputs: dict[str, Any]) -> Any:
    p = {k: np.zeros(tuple(s)) for k, s in inputs["shapes"].items()}
    n = fn(p)
    if isinstance(n, np.ndarray) and n.size == 1:
        n = n.reshape(()).item()
    if isinstance(n, int | np.integer) and not isinstance(n, bool):
        return int(n)
    if isinstance(n, float | np.floating) and float(n).is_integer():
        return int(n)  # a whole number written as a float counts the same
    return f"count_params should return a whole number, got {n!r}"


def _count_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    want = sum(int(np.prod(s)) for s in inputs["shapes"].values())
    if isinstance(outputs, str):
        return Verdict(False, outputs)
    if outputs != want:
        return Verdict(False, f"count_params gives {outputs}, expected {want}: add up the sizes "
                              "of every array in the dict, weights and biases alike")
    return Verdict(True)


COUNT = register(Check("ex5.count_params", _count_inputs, _count_run, _count_judge))


def check_count_params(fn: Callable, seed: int | None = None) -> None:
    """count_params(p) -> the total number of numbers in a parameter dict."""
    run_check(COUNT.name, fn, seed)


# --------------------------------------------------------------------------- trained models

RESULT_KEYS = ("lm_params", "task_params", "lm_loss", "task_accuracy", "seconds")


def _results_run(results: Any, inputs: dict[str, Any]) -> Any:
    if not isinstance(results, dict):
        return f"results should be a dict {{'gru': ..., 'lstm': ...}}, got {type(results).__name__}"
    out = {}
    for cell in ("gru", "lstm"):
        entry = results.get(cell)
        if not isinstance(entry, dict):
            return f"results[{cell!r}] should be the dict your training function returned"
        missing = [k for k in RESULT_KEYS if k not in entry]
        if missing:
            return f"results[{cell!r}] lacks {missing}"
        out[cell] = {
            "lm_params": plain(entry["lm_params"]), "task_params": plain(entry["task_params"]),
            "lm_loss": float(entry["lm_loss"]), "task_accuracy": float(entry["task_accuracy"]),
        }
    return out


def _params_problem(p: Any, cell: str, D: int, K: int, what: str) -> str | None:
    keys = (*(GRU_KEYS if cell == "gru" else LSTM_KEYS), *HEAD_KEYS)
    if not isinstance(p, dict):
        return f"{what} should be a parameter dict"
    missing = [k for k in keys if k not in p]
    if missing:
        return f"{what} lacks {missing}"
    H = p["Wy"].shape[1] if isinstance(p["Wy"], np.ndarray) and p["Wy"].ndim == 2 else 0
    if H < 1:
        return f"{what}: Wy should be a (K, H) array"
    shapes = {k: (H, H + D) if k.startswith("W") else (H, 1) for k in keys[:-2]}
    shapes.update({"Wy": (K, H), "by": (K, 1)})
    return _first([shape_problem(f"{what}[{k!r}]", p[k], s) for k, s in shapes.items()])


def _results_problem(outputs: Any) -> str | None:
    if isinstance(outputs, str):
        return outputs
    if not isinstance(outputs, dict) or set(outputs) != {"gru", "lstm"}:
        return "malformed outputs"
    V = len(corpus_vocab())
    for cell in ("gru", "lstm"):
        problem = _first([
            _params_problem(outputs[cell]["lm_params"], cell, V, V, f"results[{cell!r}] lm"),
            _params_problem(outputs[cell]["task_params"], cell, 8, 4, f"results[{cell!r}] task"),
        ])
        if problem:
            return problem
    return None


def _table_inputs(seed: int) -> dict[str, Any]:
    return {}


def _table_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    problem = _results_problem(outputs)
    if problem:
        return Verdict(False, problem)
    text = eval_text()
    X, y = eval_task()
    for cell in ("gru", "lstm"):
        entry = outputs[cell]
        loss = lm_loss(entry["lm_params"], cell, text)
        acc = task_accuracy(entry["task_params"], cell, X, y)
        if not np.isclose(entry["lm_loss"], loss, rtol=1e-6, atol=1e-6):
            return Verdict(False, f"results[{cell!r}]['lm_loss'] is {entry['lm_loss']:.6g} but "
                                  f"its lm_params give {loss:.6g} on checks.eval_text() with the "
                                  "reference cell: the table reports what the parameters "
                                  "beside it score, so compute lm_loss from them with "
                                  "char_lm_loss on checks.eval_text(), from a zero state")
        if not np.isclose(entry["task_accuracy"], acc, atol=1e-9):
            return Verdict(False, f"results[{cell!r}]['task_accuracy'] is "
                                  f"{entry['task_accuracy']:.6g} but its task_params score "
                                  f"{acc:.6g} on checks.eval_task() with the reference cell: "
                                  "compute it from task_params with sequence_forward on "
                                  "checks.eval_task()")
    return Verdict(True)


TABLE = register(Check("ex5.results_table", _table_inputs, _results_run, _table_judge))


def check_results_table(results: dict, seed: int | None = None) -> None:
    """The reported losses/accuracies are what the reported parameters really score."""
    run_check(TABLE.name, results, seed)


def _fresh_inputs(seed: int) -> dict[str, Any]:
    return {"text_seed": 1000 + seed % 100000, "task_seed": 2000 + seed % 100000}


BUDGET_HINT = ("Train it with every entry of the notebook's BUDGET (optimizer, batch_size, "
               "seq_length, lm_steps, task_batch, task_steps, hidden, lr, seed), as for the LSTM")


def _fresh_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    problem = _results_problem(outputs)
    if problem:
        return Verdict(False, problem)
    gru = outputs["gru"]
    loss = lm_loss(gru["lm_params"], "gru", eval_text(inputs["text_seed"], 10))
    if not loss < LM_MAX_LOSS:
        return Verdict(False, f"compared: results['gru']['lm_params'] run by the reference GRU "
                              f"on 10 fresh stories: {loss:.3f} nats per character, it should "
                              f"be below {LM_MAX_LOSS} (letter frequencies alone give about "
                              f"3.1). {BUDGET_HINT}")
    X, y = eval_task(inputs["task_seed"], 400)
    acc = task_accuracy(gru["task_params"], "gru", X, y)
    if acc < TASK_MIN_ACCURACY:
        return Verdict(False, f"compared: results['gru']['task_params'] run by the reference "
                              f"GRU on 400 fresh temporal-order sequences (T = {TASK_T}): "
                              f"{acc:.0%} right (chance 25%), it should reach "
                              f"{TASK_MIN_ACCURACY:.0%}. {BUDGET_HINT}")
    return Verdict(True)


FRESH = register(Check("ex5.trained_gru", _fresh_inputs, _results_run, _fresh_judge))


def check_trained_gru(results: dict, seed: int | None = None) -> None:
    """The trained GRU, run by the reference, does well on data the notebook never saw."""
    run_check(FRESH.name, results, seed)


#: check -> the checks of the functions it uses (see ``autograder.checks.ex1.REQUIRES``)
REQUIRES: dict[str, tuple[str, ...]] = {
    STEP_BACKWARD.name: (STEP_FORWARD.name,),
    FORWARD.name: (STEP_FORWARD.name,),
    BACKWARD.name: (FORWARD.name, STEP_BACKWARD.name),
    TABLE.name: (FORWARD.name, BACKWARD.name),
    FRESH.name: (FORWARD.name, BACKWARD.name),
}
