"""Checks for exercise 1 (an LSTM from scratch).

Each check draws its inputs from a seed (several cases per seed: a general one with B > 1, one
with H = 1, and one with B = 1 or T = 1), runs the student's code on copies of them, and judges
the outputs against :mod:`lstm_reference`. When an answer is wrong, the outputs are compared
with the outputs of typical bugs so the message can name the likely mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.checks.base import Check, Verdict, register, run_check
from autograder.checks.compare import (
    close,
    plain,
    shape_problem,
    value_problem,
)
from lstm_reference import lstm as ref
from lstm_reference.activations import sigmoid as ref_sigmoid

Params = dict[str, np.ndarray]
PARAM_NAMES = ref.PARAM_NAMES

# --------------------------------------------------------------------------- inputs


def _sizes(rng: np.random.Generator, kind: str) -> tuple[int, int, int, int]:
    """(T, D, H, B) for one case kind: 'general' (B > 1), 'h1' (H = 1), 'b1' (B = 1, T = 1)."""
    T = int(rng.integers(3, 6))
    D, H, B = int(rng.integers(2, 6)), int(rng.integers(2, 5)), int(rng.integers(2, 5))
    if kind == "h1":
        H = 1
    elif kind == "b1":
        B, T = 1, 1
    return T, D, H, B


def random_params(rng: np.random.Generator, D: int, H: int) -> Params:
    """Gate weights (H, H + D) and non-zero biases (H, 1), so every term matters."""
    p = {}
    for g in ref.GATES:
        p["W" + g] = rng.normal(0.0, 0.6, (H, H + D))
        p["b" + g] = rng.normal(0.0, 0.5, (H, 1))
    return p


def _case(rng: np.random.Generator, kind: str) -> dict[str, Any]:
    T, D, H, B = _sizes(rng, kind)
    return {
        "p": random_params(rng, D, H),
        "x": rng.normal(size=(D, B)),
        "h_prev": rng.normal(0.0, 0.5, (H, B)),
        "C_prev": rng.normal(0.0, 1.0, (H, B)),
        "X": rng.normal(size=(T, D, B)),
        "dh": rng.normal(size=(H, B)),
        "dC_next": rng.normal(size=(H, B)),
        "dhs": rng.normal(size=(T, H, B)),
        "dh_T": rng.normal(size=(H, B)) if kind != "general" else None,
        "dC_T": rng.normal(size=(H, B)) if kind != "general" else None,
    }


def make_cases(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {"cases": [_case(rng, kind) for kind in ("general", "h1", "b1")]}


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value.copy() if isinstance(value, np.ndarray) else value


def _mutated(originals: dict[str, Any], passed: dict[str, Any]) -> list[str]:
    """Names of the arguments the student's code changed in place."""
    changed = []
    for name, orig in originals.items():
        now = passed[name]
        if isinstance(orig, dict):
            changed += [f"p[{k!r}]" for k in orig if not np.array_equal(orig[k], now.get(k))]
        elif isinstance(orig, np.ndarray) and not np.array_equal(orig, now):
            changed.append(name)
    return changed


def _unpack(result: Any, n: int, what: str) -> list[Any] | str:
    if not isinstance(result, tuple | list) or len(result) != n:
        n_got = len(result) if isinstance(result, tuple | list) else None
        got = f"a {n_got}-tuple" if n_got is not None else type(result).__name__
        return f"{what} should return {n} values, got {got}"
    return list(result)


def _mutation_problem(case: dict[str, Any]) -> str | None:
    mutated = case.get("mutated") or []
    if mutated:
        return (f"your code changed its inputs in place ({', '.join(mutated)}); "
                "compute new arrays instead (e.g. `C = f * C_prev + ...`, not `C_prev *= f`)")
    return None


def _first(problems: list[str | None]) -> str | None:
    return next((p for p in problems if p), None)


def _case_label(k: int, case: dict[str, Any]) -> str:
    x, h = case["x"], case["h_prev"]
    return f"[case {k}: D={x.shape[0]}, H={h.shape[0]}, B={x.shape[1]}] "


def _fail(k: int, case: dict[str, Any], message: str) -> Verdict:
    return Verdict(False, _case_label(k, case) + message)


def _outputs_list(outputs: Any, n_cases: int) -> list[dict[str, Any]] | str:
    if not isinstance(outputs, list) or len(outputs) != n_cases:
        return "malformed outputs"
    if not all(isinstance(o, dict) for o in outputs):
        return "malformed outputs"
    return outputs


# --------------------------------------------------------------------------- sigmoid


def _sigmoid_inputs(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    z = np.concatenate([rng.normal(0.0, 3.0, 12), [0.0, 40.0, -40.0, 800.0, -800.0]])
    return {"z": z.reshape(-1, 1) if seed % 2 else z.reshape(1, -1)}


def _sigmoid_run(fn: Callable, inputs: dict[str, Any]) -> dict[str, Any]:
    z = inputs["z"].copy()
    import warnings

    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        out = fn(z)
    return {"s": plain(out), "warned": bool(caught), "mutated": _mutated(inputs, {"z": z})}


def _sigmoid_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    z = inputs["z"]
    if not isinstance(outputs, dict):
        return Verdict(False, "malformed outputs")
    s = outputs.get("s")
    if isinstance(s, np.ndarray) and s.shape == (z.size,):
        s = s.reshape(z.shape)
    problem = _first([
        value_problem("sigmoid(z)", s, ref_sigmoid(z), atol=1e-10),
        _mutation_problem(outputs),
    ])
    if problem:
        if isinstance(s, np.ndarray) and s.shape == z.shape and not np.all(np.isfinite(s)):
            problem += ": for very negative z, e^(-z) overflows; use a form that never does"
        return Verdict(False, problem)
    if outputs.get("warned"):
        return Verdict(False, "sigmoid warns (overflow) for z = -800: use a numerically stable "
                              "form, e.g. 0.5 * (1 + tanh(z / 2)) or split z >= 0 and z < 0")
    return Verdict(True)


SIGMOID = register(Check("ex1.sigmoid", _sigmoid_inputs, _sigmoid_run, _sigmoid_judge))


def check_sigmoid(fn: Callable, seed: int | None = None) -> None:
    """sigmoid on an array, including very large |z|, elementwise, without warnings."""
    run_check(SIGMOID.name, fn, seed)


# --------------------------------------------------------------------------- bug variants


def _variant_step(x, h_prev, C_prev, p, bug: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Forward step with a typical bug injected (used only to name mistakes)."""
    W = {g: p["W" + g] for g in ref.GATES}
    b = {g: p["b" + g] for g in ref.GATES}
    if bug == "swap_fi":
        W["f"], W["i"], b["f"], b["i"] = W["i"], W["f"], b["i"], b["f"]
    if bug == "swap_fo":
        W["f"], W["o"], b["f"], b["o"] = W["o"], W["f"], b["o"], b["f"]
    hx = np.concatenate([x, h_prev]) if bug == "xh" else np.concatenate([h_prev, x])
    f = ref_sigmoid(W["f"] @ hx + b["f"])
    i = ref_sigmoid(W["i"] @ hx + b["i"])
    act = ref_sigmoid if bug == "sigmoid_candidate" else np.tanh
    Ct = act(W["C"] @ hx + b["C"])
    C = (0.0 if bug == "no_cell_state" else f * C_prev) + i * Ct
    o = ref_sigmoid(W["o"] @ hx + b["o"])
    h = o * (C if bug == "no_tanh" else np.tanh(C))
    return h, C


STEP_BUGS = {
    "swap_fi": "the forget and input gates are swapped: f uses Wf, bf and i uses Wi, bi",
    "swap_fo": "the forget and output gates are swapped: check which weights each gate uses",
    "xh": "the gates read [x; h_prev] but the convention is [h_prev; x] (hidden first)",
    "sigmoid_candidate": "the candidate C̃ must use tanh (values in [-1, 1]), not sigmoid",
    "no_cell_state": "the old cell state is dropped: C = f ⊙ C_prev + i ⊙ C̃",
    "no_tanh": "h = o ⊙ tanh(C), not o ⊙ C",
}


def _name_step_bug(case: dict[str, Any], h: Any, C: Any) -> str:
    for bug, text in STEP_BUGS.items():
        vh, vC = _variant_step(case["x"], case["h_prev"], case["C_prev"], case["p"], bug)
        if close(h, vh) and close(C, vC):
            return f" (likely bug: {text})"
    return ""


# --------------------------------------------------------------------------- step forward


def _step_forward_run(fn: Callable, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for case in inputs["cases"]:
        args = {k: _copy(case[k]) for k in ("x", "h_prev", "C_prev", "p")}
        res = _unpack(fn(args["x"], args["h_prev"], args["C_prev"], args["p"]), 3,
                      "lstm_step_forward")
        if isinstance(res, str):
            out.append({"error": res})
            continue
        out.append({"h": plain(res[0]), "C": plain(res[1]),
                    "mutated": _mutated({k: case[k] for k in args}, args)})
    return out


def _step_forward_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    cases = inputs["cases"]
    outs = _outputs_list(outputs, len(cases))
    if isinstance(outs, str):
        return Verdict(False, outs)
    for k, (case, out) in enumerate(zip(cases, outs, strict=True)):
        if "error" in out:
            return _fail(k, case, str(out["error"]))
        h_ref, C_ref, _ = ref.lstm_step_forward(case["x"], case["h_prev"], case["C_prev"],
                                                case["p"])
        H, B = h_ref.shape
        hint = "did you hard-code B=1 or mix up H and D?" if B > 1 or H == 1 else ""
        problem = _first([
            shape_problem("h", out.get("h"), (H, B), hint),
            shape_problem("C", out.get("C"), (H, B), hint),
        ])
        if problem:
            return _fail(k, case, problem)
        wrong = _first([value_problem("C", out["C"], C_ref), value_problem("h", out["h"], h_ref)])
        if wrong:
            return _fail(k, case, wrong + _name_step_bug(case, out["h"], out["C"]))
        problem = _mutation_problem(out)
        if problem:
            return _fail(k, case, problem)
    return Verdict(True)


STEP_FORWARD = register(Check("ex1.lstm_step_forward", make_cases, _step_forward_run,
                              _step_forward_judge))


def check_lstm_step_forward(fn: Callable, seed: int | None = None) -> None:
    """lstm_step_forward(x, h_prev, C_prev, p) -> (h, C, cache) against the reference."""
    run_check(STEP_FORWARD.name, fn, seed)
