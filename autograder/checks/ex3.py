"""Checks for exercise 3 (ablation): the gate-removed variants' forward and backward steps, the
trained models evaluated on a fresh stream, and the conclusion drawn from them."""

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
from lstm_reference import ablation_study
from lstm_reference.cells import get_cell, get_step

VARIANTS = ablation_study.VARIANTS  # "lstm" first, then the ablations
ABLATIONS = ablation_study.ABLATIONS

HINTS = {
    "nfg": "without a forget gate f ≡ 1 (keep all of C_prev), not 0",
    "nig": "without an input gate i ≡ 1 (write all of C̃)",
    "nog": "without an output gate o ≡ 1: h = tanh(C)",
    "niaf": "without the input activation the candidate is linear: C̃ = WC·hx + bC",
    "noaf": "without the output activation h = o⊙C",
    "cifg": "the coupled gate has i = 1 − f (no Wi, bi)",
    "lstm": "this is the plain LSTM of exercise 1",
}


def param_names(variant: str) -> tuple[str, ...]:
    """The parameter names of a variant (the LSTM's minus the removed gate's)."""
    return tuple(get_cell(variant).init(2, 2, np.random.default_rng(0)))


# --------------------------------------------------------------------------- steps


def _step_inputs(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    D, H, B = int(rng.integers(2, 5)), int(rng.integers(2, 5)), int(rng.integers(2, 4))
    cases = {}
    for v in VARIANTS:
        p = get_cell(v).init(D, H, rng)
        for k in p:
            if k.startswith("b"):  # distinct biases, so a wrong gate shows
                p[k] = p[k] + rng.normal(0.0, 0.5, size=p[k].shape)
        cases[v] = {
            "x": rng.standard_normal((D, B)),
            "h_prev": rng.standard_normal((H, B)),
            "C_prev": 2.0 * rng.standard_normal((H, B)),  # |C| > 1: tanh(C) ≠ C shows
            "p": p,
            "dh": rng.standard_normal((H, B)),
            "dC_next": rng.standard_normal((H, B)),
        }
    return {"cases": cases}


def _copy(case: dict[str, Any]) -> tuple:
    p = {k: v.copy() for k, v in case["p"].items()}
    return case["x"].copy(), case["h_prev"].copy(), case["C_prev"].copy(), p


def _forward_run(fns: Any, inputs: dict[str, Any]) -> Any:
    forward = fns[0] if isinstance(fns, tuple | list) else fns
    out = {}
    for v, case in inputs["cases"].items():
        x, h_prev, C_prev, p = _copy(case)
        h, C, _ = forward(x, h_prev, C_prev, p, v)
        out[v] = {"h": plain(h), "C": plain(C)}
    return out


def _reference_step(v: str, case: dict[str, Any]) -> dict[str, Any]:
    step = get_step(v)
    (h, C), cache = step.forward(case["x"], (case["h_prev"], case["C_prev"]), case["p"])
    dx, (dh_prev, dC_prev), grads = step.backward((case["dh"], case["dC_next"]), cache)
    return {"h": h, "C": C, "dx": dx, "dh_prev": dh_prev, "dC_prev": dC_prev, "grads": grads}


@judged
def _forward_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    out = as_mapping(outputs, "the forward outputs", tuple(VARIANTS))
    for v, case in inputs["cases"].items():
        ref = _reference_step(v, case)
        got_v = as_mapping(out[v], f"variant {v!r}", ("h", "C"))
        for key in ("C", "h"):
            got = as_array(got_v[key], f"{v}: {key}")
            if got.shape != ref[key].shape:
                raise RejectError(
                    f"variant {v!r}: {key} has shape {got.shape}, expected (H, B) = "
                    f"{ref[key].shape}"
                )
            if not close(got, ref[key]):
                raise RejectError(
                    f"variant {v!r}: {key} does not match the reference "
                    f"({largest_error(got, ref[key])}). Remember: {HINTS[v]}"
                )
    return Verdict(True)


def _backward_run(fns: Any, inputs: dict[str, Any]) -> Any:
    forward, backward = fns
    out = {}
    for v, case in inputs["cases"].items():
        x, h_prev, C_prev, p = _copy(case)
        _, _, cache = forward(x, h_prev, C_prev, p, v)
        dx, dh_prev, dC_prev, grads = backward(case["dh"].copy(), case["dC_next"].copy(), cache)
        out[v] = {
            "dx": plain(dx),
            "dh_prev": plain(dh_prev),
            "dC_prev": plain(dC_prev),
            "grads": plain(grads),
        }
    return out


BACKWARD_HINTS = {
    "nfg": "with f ≡ 1 the belt passes dC straight through: dC_prev = dC",
    "nig": "with i ≡ 1, dC̃ = dC",
    "nog": "with o ≡ 1 the gradient into C from h is dh⊙(1 − tanh²(C))",
    "niaf": "a linear candidate has derivative 1, not 1 − C̃²",
    "noaf": "with h = o⊙C the gradient into C from h is dh⊙o",
    "cifg": "i = 1 − f, so the forget gate's pre-activation also gets −dC⊙C̃⊙f(1 − f)",
    "lstm": "see exercise 1",
}


@judged
def _backward_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    out = as_mapping(outputs, "the backward outputs", tuple(VARIANTS))
    for v, case in inputs["cases"].items():
        ref = _reference_step(v, case)
        got_v = as_mapping(out[v], f"variant {v!r}", ("dx", "dh_prev", "dC_prev", "grads"))
        grads = as_mapping(got_v["grads"], f"variant {v!r}: grads", tuple(ref["grads"]))
        extra = sorted(set(grads) - set(ref["grads"]))
        if extra:
            raise RejectError(
                f"variant {v!r}: grads has {extra}, which this variant does not have ({HINTS[v]})"
            )
        items = [("dC_prev", got_v["dC_prev"], ref["dC_prev"])]
        items += [(f"grads[{k!r}]", grads[k], ref["grads"][k]) for k in ref["grads"]]
        items += [(k, got_v[k], ref[k]) for k in ("dh_prev", "dx")]
        for name, got, want in items:
            got = as_array(got, f"{v}: {name}")
            if got.shape != want.shape:
                raise RejectError(
                    f"variant {v!r}: {name} has shape {got.shape}, expected {want.shape}"
                )
            if not close(got, want):
                raise RejectError(
                    f"variant {v!r}: {name} does not match the reference "
                    f"({largest_error(got, want)}). Hint: {BACKWARD_HINTS[v]}"
                )
    return Verdict(True)


CHECK_FORWARD = register(Check("ex3.variant_forward", _step_inputs, _forward_run, _forward_judge))
CHECK_BACKWARD = register(
    Check("ex3.variant_backward", _step_inputs, _backward_run, _backward_judge)
)


def check_variant_forward(forward: Any, seed: int | None = None) -> None:
    """forward(x, h_prev, C_prev, p, variant) -> (h, C, cache) for every variant."""
    run_check(CHECK_FORWARD.name, forward, seed)


def check_variant_backward(forward: Any, backward: Any, seed: int | None = None) -> None:
    """backward(dh, dC_next, cache) -> (dx, dh_prev, dC_prev, grads) for every variant."""
    run_check(CHECK_BACKWARD.name, (forward, backward), seed)


# --------------------------------------------------------------------------- trained models


def _trained_params(outputs: Any) -> dict[str, list[dict[str, np.ndarray]]]:
    """Validate {variant: [params per seed]}: every variant, ≥ 3 distinct seeds, right keys."""
    out = as_mapping(outputs, "TRAINED", tuple(VARIANTS))
    models: dict[str, list[dict[str, np.ndarray]]] = {}
    for v in VARIANTS:
        runs = out[v]
        if not isinstance(runs, list) or len(runs) < ablation_study.MIN_SEEDS:
            raise RejectError(
                f"TRAINED[{v!r}] should be a list of the parameters of at least "
                f"{ablation_study.MIN_SEEDS} runs (one per seed)"
            )
        keys = (*param_names(v), "Wy", "by")
        models[v] = []
        for k, run in enumerate(runs):
            p = as_mapping(run, f"TRAINED[{v!r}][{k}]", keys)
            extra = sorted(set(p) - set(keys))
            if extra:
                raise RejectError(f"TRAINED[{v!r}][{k}] has {extra}: {HINTS.get(v, '')}")
            params = {name: as_array(p[name], f"TRAINED[{v!r}][{k}][{name!r}]") for name in keys}
            shape = params["Wy"].shape
            if len(shape) != 2 or shape[0] != ablation_study.VOCAB:
                raise RejectError(
                    f"TRAINED[{v!r}][{k}]['Wy'] has shape {shape}, expected "
                    f"({ablation_study.VOCAB}, H)"
                )
            models[v].append(params)
        for a in range(len(runs)):
            for b in range(a):
                if all(np.array_equal(models[v][a][n], models[v][b][n]) for n in keys):
                    raise RejectError(
                        f"TRAINED[{v!r}][{a}] and [{b}] are the same model: train one per seed"
                    )
    return models


def _trained_inputs(seed: int) -> dict[str, Any]:
    return {"seed": seed}


def _trained_run(trained: Any, inputs: dict[str, Any]) -> Any:
    return plain(trained)


@judged
def _trained_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    models = _trained_params(outputs)
    data = ablation_study.eval_stream(inputs["seed"])
    losses = [ablation_study.stream_loss(p, "lstm", data) for p in models["lstm"]]
    worst = max(losses)
    if worst > ablation_study.TRAINED_LSTM_MAX_LOSS:
        raise RejectError(
            f"a full LSTM in TRAINED['lstm'] has cross-entropy {worst:.3f} nats per symbol on a "
            f"fresh stream; a trained one gets below {ablation_study.TRAINED_LSTM_MAX_LOSS} "
            f"(an untrained one about {np.log(ablation_study.VOCAB):.2f}). Did the training "
            "loop update the parameters?"
        )
    return Verdict(True)


CHECK_TRAINED = register(Check("ex3.trained", _trained_inputs, _trained_run, _trained_judge))


def check_trained(trained: Any, seed: int | None = None) -> None:
    """TRAINED = {variant: [params of each seed]}: all variants, trained, evaluated afresh."""
    run_check(CHECK_TRAINED.name, trained, seed)


def _check_choice(table: dict[str, tuple[float, ...]], choice: Any, source: str) -> None:
    """MOST_IMPORTANT must name the ablation with the largest mean loss in ``table``."""
    if not isinstance(choice, str) or choice not in ABLATIONS:
        raise RejectError(
            f"MOST_IMPORTANT should name one of the ablations {list(ABLATIONS)}, got {choice!r}"
        )
    best = max(ABLATIONS, key=lambda v: table[v][0])
    noise = table[best][2] + table[choice][2] if len(table[best]) > 2 else 0.0
    margin = ablation_study.TABLE_TOLERANCE * max(1.0, table[best][0]) + 4.0 * noise
    if table[best][0] - table[choice][0] > margin:
        ranking = ", ".join(
            f"{v} {table[v][0]:.3f}" for v in sorted(ABLATIONS, key=lambda v: -table[v][0])
        )
        raise RejectError(
            f"MOST_IMPORTANT = {choice!r}, but in {source} removing {best!r} hurts most (mean "
            f"loss per variant: {ranking}). The most important part is the one whose removal "
            "raises the loss the most"
        )


def _student_table(value: Any) -> dict[str, tuple[float, float]]:
    student = as_mapping(value, "RESULTS", tuple(VARIANTS))
    table = {}
    for v in VARIANTS:
        row = student[v]
        if isinstance(row, np.ndarray) and row.shape == (2,):
            row = list(row)  # np.array([mean, spread]) is a pair too
        if not isinstance(row, list) or len(row) != 2:
            raise RejectError(f"RESULTS[{v!r}] should be a pair (mean, spread)")
        table[v] = (
            float(as_array(row[0], f"RESULTS[{v!r}] mean", ())),
            float(as_array(row[1], f"RESULTS[{v!r}] spread", ())),
        )
    return table


@judged
def _choice_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    out = as_mapping(outputs, "the conclusion", ("table", "most_important"))
    _check_choice(_student_table(out["table"]), out["most_important"], "your RESULTS")
    return Verdict(True)


@judged
def _conclusion_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    out = as_mapping(outputs, "the study", ("trained", "table", "most_important"))
    models = _trained_params(out["trained"])
    table = ablation_study.table_with_noise(models, ablation_study.eval_stream(inputs["seed"]))
    student = _student_table(out["table"])
    for v in VARIANTS:
        mean, want = student[v][0], table[v][0]
        if not ablation_study.agrees(mean, want, table[v][2]):
            raise RejectError(
                f"RESULTS[{v!r}] says mean loss {mean:.3f}, but your TRAINED[{v!r}] models get "
                f"{want:.3f} on a fresh stream: the table must come from your own trained "
                "models (evaluate each one on a long fresh stream)"
            )
    _check_choice(table, out["most_important"], "your own models' results (recomputed)")
    return Verdict(True)


def _conclusion_run(study: Any, inputs: dict[str, Any]) -> Any:
    out = plain(study)
    choice = study.get("most_important") if isinstance(study, dict) else None
    if isinstance(choice, np.str_):  # e.g. np.array(VARIANTS)[k]: a str, not an array
        out["most_important"] = str(choice)
    return out


CHECK_CHOICE = register(Check("ex3.choice", _trained_inputs, _conclusion_run, _choice_judge))
CHECK_CONCLUSION = register(
    Check("ex3.conclusion", _trained_inputs, _conclusion_run, _conclusion_judge)
)


def check_choice(table: Any, most_important: Any, seed: int | None = None) -> None:
    """MOST_IMPORTANT names the ablation with the largest mean loss in the student's table."""
    run_check(CHECK_CHOICE.name, {"table": table, "most_important": most_important}, seed)


def check_conclusion(
    trained: Any, table: Any, most_important: Any, seed: int | None = None
) -> None:
    """The table must match TRAINED re-evaluated on a fresh stream, and the conclusion it."""
    run_check(
        CHECK_CONCLUSION.name,
        {"trained": trained, "table": table, "most_important": most_important},
        seed,
    )


#: check -> the checks of the functions it uses (see ``autograder.checks.ex1.REQUIRES``)
REQUIRES: dict[str, tuple[str, ...]] = {
    CHECK_BACKWARD.name: (CHECK_FORWARD.name,),
}
