"""Checks for exercise 2 (gate analysis): recording, tracking units, the remembered country,
saturation, a tracker."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from autograder.checks.base import Check, Verdict, register, run_check
from autograder.checks.judging import (
    RejectError,
    as_array,
    as_index,
    as_mapping,
    close,
    judged,
    largest_error,
    plain,
)
from lstm_reference import analysis
from lstm_reference.lstm import init_lstm_params

KEYS = ("f", "i", "o", "C", "h")
GATE_WORDS = {
    "f": "forget gate",
    "i": "input gate",
    "o": "output gate",
    "C": "cell state",
    "h": "h",
}


def _pair(value: Any) -> list[Any] | None:
    """A returned pair as a list of two: a tuple or list of two, or an array with two rows
    (e.g. ``np.array([unit, r])`` or ``np.stack([left, right])``); None otherwise."""
    if isinstance(value, list) and len(value) == 2:
        return value
    if isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == 2:
        return [value[0], value[1]]
    return None


# --------------------------------------------------------------------------- record_gates


def _record_inputs(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    T, D, H, B = (
        int(rng.integers(5, 9)),
        int(rng.integers(3, 6)),
        int(rng.integers(3, 6)),
        int(rng.integers(2, 4)),
    )
    p = init_lstm_params(D, H, rng)
    for b in ("bf", "bi", "bC", "bo"):  # distinct biases, so swapped gates show
        p[b] = p[b] + rng.normal(0.0, 0.7, size=p[b].shape)
    return {
        "X": rng.standard_normal((T, D, B)),
        "h0": 0.5 * rng.standard_normal((H, B)),
        "C0": 0.5 * rng.standard_normal((H, B)),
        "p": p,
    }


def _record_run(fn: Any, inputs: dict[str, Any]) -> Any:
    p = {k: v.copy() for k, v in inputs["p"].items()}
    return plain(fn(inputs["X"].copy(), inputs["h0"].copy(), inputs["C0"].copy(), p))


@judged
def _record_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    T, _, B = inputs["X"].shape
    H = inputs["h0"].shape[0]
    ref = analysis.record_lstm(inputs["X"], inputs["h0"], inputs["C0"], inputs["p"])
    out = as_mapping(outputs, "record_gates(...)", KEYS)
    got = {k: as_array(out[k], f"record[{k!r}]") for k in KEYS}
    for k in KEYS:
        if got[k].shape != (T, H, B):
            hint = ""
            if got[k].shape in ((T, H), (T, H, 1)):
                hint = ": did you keep only one column (B=1)?"
            elif got[k].shape == (T + 1, H, B):
                hint = ": leave out the initial state, keep one entry per step"
            elif got[k].shape == (H, T, B) or got[k].shape == (H, B, T):
                hint = ": stack the steps on axis 0"
            raise RejectError(
                f"record[{k!r}] has shape {got[k].shape}, expected (T, H, B) = {(T, H, B)}{hint}"
            )
    for k in KEYS:
        if close(got[k], ref[k]):
            continue
        for other in KEYS:
            if other != k and close(got[k], ref[other]):
                raise RejectError(
                    f"record[{k!r}] holds the {GATE_WORDS[other]}, not the "
                    f"{GATE_WORDS[k]}: check which weights (W{k if k != 'h' else ''}) "
                    "you used for which gate"
                )
        if k in ("C", "h"):
            prev = np.concatenate([(inputs["C0"] if k == "C" else inputs["h0"])[None], ref[k][:-1]])
            if close(got[k], prev):
                raise RejectError(
                    f"record[{k!r}][t] is the state before step t; store the state after the step"
                )
        raise RejectError(
            f"record[{k!r}] ({GATE_WORDS[k]}) does not match the reference: "
            f"{largest_error(got[k], ref[k])}. Remember the gates read [h_prev; x], "
            "hidden state first"
        )
    return Verdict(True)


CHECK_RECORD = register(Check("ex2.record_gates", _record_inputs, _record_run, _record_judge))


def check_record_gates(fn: Any, seed: int | None = None) -> None:
    """record_gates(X, h0, C0, p) -> {f, i, o, C, h} each (T, H, B), against the reference."""
    run_check(CHECK_RECORD.name, fn, seed)


# --------------------------------------------------------------------------- tracking units


def _tracking_problem(rng: np.random.Generator, sign: float, dead_unit: bool) -> dict[str, Any]:
    T, H = int(rng.integers(150, 260)), int(rng.integers(8, 16))
    steps = rng.integers(0, 2, size=T)  # a 0/1 signal with runs, like "inside quotes"
    signal = np.cumsum(steps * (rng.random(T) < 0.15)) % 2 + 0.0
    acts = np.tanh(rng.standard_normal((T, H)))
    unit = int(rng.integers(0, H))
    acts[:, unit] = np.tanh(sign * 1.5 * (signal - 0.5) + 0.5 * rng.standard_normal(T))
    decoy = (unit + 1 + int(rng.integers(0, H - 1))) % H  # weakly correlated with the signal
    acts[:, decoy] = np.tanh(0.6 * (signal - 0.5) + 1.0 * rng.standard_normal(T))
    if dead_unit:
        dead = (unit + 1) % H if (unit + 1) % H != decoy else (unit + 2) % H
        acts[:, dead] = 1.0  # a saturated unit that never changes
    return {"acts": acts, "signal": signal}


def _tracking_inputs(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {
        "problems": [
            _tracking_problem(rng, 1.0, False),
            _tracking_problem(rng, -1.0, False),
            _tracking_problem(rng, float(rng.choice([-1.0, 1.0])), True),
        ]
    }


def _tracking_run(fn: Any, inputs: dict[str, Any]) -> Any:
    results = []
    for prob in inputs["problems"]:
        results.append(plain(fn(prob["acts"].copy(), prob["signal"].copy())))
    return results


@judged
def _tracking_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    problems = inputs["problems"]
    if not isinstance(outputs, list) or len(outputs) != len(problems):
        raise RejectError("find_tracking_unit should return (unit, correlation)")
    for n, (prob, out) in enumerate(zip(problems, outputs, strict=True)):
        pair = _pair(out)
        if pair is None:
            raise RejectError(
                f"find_tracking_unit should return a pair (unit, correlation), got {out!r}"
            )
        unit, corr = pair
        unit = as_index(unit, "the unit")
        corr = float(as_array(corr, "the correlation", ()))
        ref_unit, ref_corr = analysis.best_tracking_unit(prob["acts"], prob["signal"])
        what = ["a positively", "a negatively", "a"][n] + " correlated unit"
        if unit != ref_unit:
            extra = ""
            if n == 1:
                extra = (
                    " A unit that goes down when the signal goes up tracks it just as well:"
                    " rank units by |correlation|."
                )
            if n == 2:
                extra = (
                    " One unit in this test never changes (saturated): its correlation is"
                    " undefined (0/0) and should count as 0, not NaN."
                )
            raise RejectError(
                f"on a test with {what} (planted at unit {ref_unit}, correlation "
                f"{ref_corr:+.3f}) you returned unit {unit}.{extra}"
            )
        if abs(corr - ref_corr) > 1e-6:
            same_size = abs(abs(corr) - abs(ref_corr)) < 1e-6
            hint = " Return the signed correlation." if same_size else ""
            raise RejectError(
                f"unit {unit} is right but its correlation is {corr:+.6f}, expected "
                f"the Pearson correlation {ref_corr:+.6f}.{hint}"
            )
    return Verdict(True)


CHECK_TRACKING = register(
    Check("ex2.find_tracking_unit", _tracking_inputs, _tracking_run, _tracking_judge)
)


def check_find_tracking_unit(fn: Any, seed: int | None = None) -> None:
    """find_tracking_unit(acts (T, H), signal (T,)) -> (unit, correlation), on planted units."""
    run_check(CHECK_TRACKING.name, fn, seed)


# --------------------------------------------------------------------------- saturation


def _saturation_inputs(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    T, H, B = int(rng.integers(20, 40)), int(rng.integers(4, 9)), int(rng.integers(2, 4))
    bias = rng.normal(0.0, 2.5, size=(1, H, 1))
    gate = 1.0 / (1.0 + np.exp(-(bias + 2.0 * rng.standard_normal((T, H, B)))))
    gate[0, 0, 0] = 0.1  # exactly at the thresholds: neither saturated
    gate[1, 0, 0] = 0.9
    return {"gate": gate}


def _saturation_run(fn: Any, inputs: dict[str, Any]) -> Any:
    return plain(fn(inputs["gate"].copy()))


@judged
def _saturation_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    gate = inputs["gate"]
    H = gate.shape[1]
    pair = _pair(outputs)
    if pair is None:
        raise RejectError("saturation_stats should return a pair (left, right)")
    left = as_array(pair[0], "left", None)
    right = as_array(pair[1], "right", None)
    left, right = (a.reshape(H) if a.size == H else a for a in (left, right))  # (H, 1) is fine
    for name, arr in (("left", left), ("right", right)):
        if arr.shape != (H,):
            raise RejectError(
                f"{name} has shape {arr.shape}, expected (H,) = ({H},): one fraction "
                "per unit, over all steps and columns"
            )
    ref_left, ref_right = analysis.saturation(gate)
    if close(left, ref_right) and close(right, ref_left):
        raise RejectError("left and right are swapped: left-saturated means gate < 0.1 (closed)")
    for name, got, want in (("left", left, ref_left), ("right", right, ref_right)):
        if not close(got, want):
            raise RejectError(
                f"{name} does not match: {largest_error(got, want)}. It is the fraction "
                "of (step, column) pairs with the gate strictly below 0.1 (left) or "
                "strictly above 0.9 (right)"
            )
    return Verdict(True)


CHECK_SATURATION = register(
    Check("ex2.saturation_stats", _saturation_inputs, _saturation_run, _saturation_judge)
)


def check_saturation_stats(fn: Any, seed: int | None = None) -> None:
    """saturation_stats(gate (T, H, B)) -> (left (H,), right (H,))."""
    run_check(CHECK_SATURATION.name, fn, seed)


# --------------------------------------------------------------------------- trained tracker

SIGNALS = ("inside_quotes", "bracket_depth")
STATES = ("C", "h")
STORIES = 30  # stories per passage (about 5000 characters)
CALIBRATION_SEED = 1  # the passage the notebook searches: colah_corpus(STORIES, seed=1)
TRACKER_FRACTION = 0.8  # of what the reference's own pick reaches on the same fresh text


def passage(seed: int) -> str:
    """``STORIES`` stories of the built-in corpus drawn with ``seed``."""
    from lstm_reference.data.corpus import colah_corpus

    return colah_corpus(n_stories=STORIES, seed=int(seed))


def fresh_passage(seed: int) -> str:
    """A passage for grading (a seed range the notebook's passage never uses)."""
    return passage(int(seed) % (2**31) + 1_000_003)


def record_pretrained(text: str) -> dict[str, np.ndarray]:
    """The shipped model's recording over ``text`` (one column): each (T, H, 1)."""
    from lstm_reference.checkpoint import load_pretrained
    from lstm_reference.vocab import one_hot

    ckpt = load_pretrained()
    p = {k: v for k, v in ckpt.params.items() if k not in ("Wy", "by")}
    H = p["bf"].shape[0]
    X = one_hot(ckpt.vocab.encode(text), len(ckpt.vocab), dtype=p["Wf"].dtype)
    zeros = np.zeros((H, 1), dtype=p["Wf"].dtype)
    return analysis.record_lstm(X, zeros, zeros, p)


def correlations(text: str) -> dict[tuple[str, str], np.ndarray]:
    """Every unit's correlation (H,) with each signal, per (signal, state), over ``text``."""
    from lstm_reference.data.corpus import char_signals

    rec = record_pretrained(text)
    signals = char_signals(text)
    return {
        (sig, st): analysis.tracking_correlations(rec[st][:, :, 0], signals[sig])
        for sig in SIGNALS
        for st in STATES
    }


@functools.lru_cache(maxsize=1)
def reference_picks() -> dict[str, tuple[str, int]]:
    """For each signal, the (state, unit) the reference picks on the notebook's passage."""
    corr = correlations(passage(CALIBRATION_SEED))
    picks = {}
    for sig in SIGNALS:
        state = max(STATES, key=lambda st: float(np.max(np.abs(corr[sig, st]))))
        picks[sig] = (state, int(np.argmax(np.abs(corr[sig, state]))))
    return picks


def _tracker_inputs(seed: int) -> dict[str, Any]:
    return {"seed": seed}


def _tracker_run(tracker: Any, inputs: dict[str, Any]) -> Any:
    return plain(tracker)


@judged
def _tracker_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    out = as_mapping(outputs, "TRACKER", ("signal", "state", "unit"))
    signal, state = out["signal"], out["state"]
    if signal not in SIGNALS:
        raise RejectError(f"TRACKER['signal'] should be one of {list(SIGNALS)}, got {signal!r}")
    if state not in STATES:
        raise RejectError(f"TRACKER['state'] should be 'C' (cell state) or 'h', got {state!r}")
    unit = as_index(out["unit"], "TRACKER['unit']")
    corr = correlations(fresh_passage(inputs["seed"]))
    r = corr[signal, state]
    if not 0 <= unit < r.shape[0]:
        raise RejectError(f"TRACKER['unit'] = {unit} but the model has {r.shape[0]} units")
    ref_state, ref_unit = reference_picks()[signal]
    ref = abs(float(corr[signal, ref_state][ref_unit]))
    need = TRACKER_FRACTION * ref
    got = abs(float(r[unit]))
    if got < need:
        raise RejectError(
            f"on fresh stories, {state}[{unit}] correlates with {signal} at {r[unit]:+.2f}; "
            f"the unit the reference finds on the notebook's passage reaches {ref:.2f} there, "
            f"so a tracker needs |correlation| >= {need:.2f}. Search every unit of both C and "
            "h with find_tracking_unit on the whole passage"
        )
    return Verdict(True)


CHECK_TRACKER = register(Check("ex2.tracker", _tracker_inputs, _tracker_run, _tracker_judge))


def check_tracker(tracker: Any, seed: int | None = None) -> None:
    """TRACKER = {"signal", "state", "unit"}: judged on fresh stories with the shipped model."""
    run_check(CHECK_TRACKER.name, tracker, seed)


# --------------------------------------------------------------------------- the remembered country


def _country_problem(rng: np.random.Generator, constant_unit: bool) -> dict[str, Any]:
    """Activations (T, H) and labels (T,) with runs of categories and unlabelled stretches.

    One unit's level depends on the category (planted), one is a weaker decoy, and one jumps
    only on the unlabelled steps: a finder that treats −1 as a category picks that one.
    """
    T, H, K = int(rng.integers(240, 320)), int(rng.integers(8, 14)), int(rng.integers(4, 8))
    labels = np.full(T, -1)
    t = 0
    while t < T:
        run = int(rng.integers(10, 30))
        if rng.random() < 0.7:
            labels[t : t + run] = rng.integers(0, K)
        t += run + int(rng.integers(2, 8))
    levels = rng.normal(0.0, 1.0, size=K)
    acts = np.tanh(rng.standard_normal((T, H)))
    unit, decoy, trap = (int(u) for u in rng.choice(H, size=3, replace=False))
    lab = np.maximum(labels, 0)
    acts[:, unit] = np.tanh(levels[lab] + 0.4 * rng.standard_normal(T))
    acts[:, decoy] = np.tanh(0.5 * levels[lab] + 0.8 * rng.standard_normal(T))
    acts[:, trap] = np.where(labels < 0, 3.0, 0.0) + 0.2 * rng.standard_normal(T)
    if constant_unit:
        spare = [u for u in range(H) if u not in (unit, decoy, trap)]
        acts[:, spare[0]] = -1.0  # saturated: never changes
    return {"acts": acts, "labels": labels}


def _country_finder_inputs(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {"problems": [_country_problem(rng, False), _country_problem(rng, True)]}


def _country_finder_run(fn: Any, inputs: dict[str, Any]) -> Any:
    return [plain(fn(p["acts"].copy(), p["labels"].copy())) for p in inputs["problems"]]


@judged
def _country_finder_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    problems = inputs["problems"]
    if not isinstance(outputs, list) or len(outputs) != len(problems):
        raise RejectError("find_country_unit should return (unit, eta)")
    for n, (prob, out) in enumerate(zip(problems, outputs, strict=True)):
        pair = _pair(out)
        if pair is None:
            raise RejectError(f"find_country_unit should return a pair (unit, eta), got {out!r}")
        unit = as_index(pair[0], "the unit")
        eta = float(as_array(pair[1], "eta", ()))
        acts, labels = prob["acts"], prob["labels"]
        ref_unit, ref_eta = analysis.best_category_unit(acts, labels)
        if unit != ref_unit:
            with_unlabelled = analysis.correlation_ratios(acts, np.where(labels < 0, 99, labels))
            hint = ""
            if unit == int(np.argmax(with_unlabelled)):
                hint = (" That unit only changes where no country is remembered (label −1):"
                        " leave those steps out before computing eta.")
            elif n == 1:
                hint = (" One unit in this test never changes: its eta is 0/0 and should"
                        " count as 0, not NaN.")
            raise RejectError(
                f"on a test with a planted country unit (unit {ref_unit}, eta {ref_eta:.3f}) "
                f"you returned unit {unit}.{hint}"
            )
        if abs(eta - ref_eta) > 1e-6:
            keep = labels >= 0
            pearson = abs(float(analysis.tracking_correlations(
                acts[keep][:, [unit]], labels[keep].astype(float))[0]))
            hint = (" That is the Pearson correlation with the country id, which treats ids as"
                    " amounts; eta compares the means per country."
                    if abs(abs(eta) - pearson) < 1e-6 else
                    " eta = sqrt(between-country sum of squares / total sum of squares) over"
                    " the labelled steps.")
            raise RejectError(
                f"unit {unit} is right but its eta is {eta:.6f}, expected {ref_eta:.6f}.{hint}"
            )
    return Verdict(True)


CHECK_COUNTRY_FINDER = register(
    Check("ex2.find_country_unit", _country_finder_inputs, _country_finder_run,
          _country_finder_judge)
)


def check_find_country_unit(fn: Any, seed: int | None = None) -> None:
    """find_country_unit(acts (T, H), labels (T,)) -> (unit, eta), on planted units."""
    run_check(CHECK_COUNTRY_FINDER.name, fn, seed)


COUNTRY_STORIES = 100  # stories of the built-in corpus per passage (about 12000 characters)
COUNTRY_CALIBRATION_SEED = 2  # the notebook's passage: colah_corpus(100, seed=2)
COUNTRY_FRACTION = 0.8  # of what the reference's own pick reaches on the same fresh text


def country_passage(seed: int) -> str:
    """``COUNTRY_STORIES`` stories with 1 to 3 filler sentences each, drawn with ``seed``."""
    from lstm_reference.data.corpus import colah_corpus

    return colah_corpus(n_stories=COUNTRY_STORIES, seed=int(seed))


def country_etas(text: str) -> dict[str, np.ndarray]:
    """Every unit's correlation ratio (H,) with the remembered country, per state, over text."""
    from lstm_reference.data.corpus import char_signals

    rec = record_pretrained(text)
    labels = char_signals(text)["remembered_country"]
    return {st: analysis.correlation_ratios(rec[st][:, :, 0], labels) for st in STATES}


@functools.lru_cache(maxsize=1)
def reference_country_pick() -> tuple[str, int]:
    """The (state, unit) the reference picks on the notebook's passage."""
    eta = country_etas(country_passage(COUNTRY_CALIBRATION_SEED))
    state = max(STATES, key=lambda st: float(np.max(eta[st])))
    return state, int(np.argmax(eta[state]))


def _country_unit_run(choice: Any, inputs: dict[str, Any]) -> Any:
    return plain(choice)


@judged
def _country_unit_judge(inputs: dict[str, Any], outputs: Any) -> Verdict:
    out = as_mapping(outputs, "COUNTRY_UNIT", ("state", "unit"))
    state = out["state"]
    if state not in STATES:
        raise RejectError(f"COUNTRY_UNIT['state'] should be 'C' (cell state) or 'h', got {state!r}")
    unit = as_index(out["unit"], "COUNTRY_UNIT['unit']")
    eta = country_etas(country_passage(int(inputs["seed"]) % (2**31) + 1_000_003))
    H = eta[state].shape[0]
    if not 0 <= unit < H:
        raise RejectError(f"COUNTRY_UNIT['unit'] = {unit} but the model has {H} units")
    ref_state, ref_unit = reference_country_pick()
    ref = float(eta[ref_state][ref_unit])
    need = COUNTRY_FRACTION * ref
    got = float(eta[state][unit])
    if got < need:
        raise RejectError(
            f"on fresh stories, {state}[{unit}] separates the remembered countries with eta "
            f"{got:.2f}; the unit the reference finds on the notebook's passage reaches "
            f"{ref:.2f} there, so it needs eta >= {need:.2f}. Search every unit of both C and "
            "h with find_country_unit"
        )
    return Verdict(True)


CHECK_COUNTRY_UNIT = register(
    Check("ex2.country_unit", _tracker_inputs, _country_unit_run, _country_unit_judge)
)


def check_country_unit(choice: Any, seed: int | None = None) -> None:
    """COUNTRY_UNIT = {"state", "unit"}: judged on fresh stories with the shipped model."""
    run_check(CHECK_COUNTRY_UNIT.name, choice, seed)


#: check -> the checks of the functions it uses (see ``autograder.checks.ex1.REQUIRES``)
REQUIRES: dict[str, tuple[str, ...]] = {
    CHECK_TRACKER.name: (CHECK_RECORD.name, CHECK_TRACKING.name),
    CHECK_COUNTRY_UNIT.name: (CHECK_RECORD.name, CHECK_COUNTRY_FINDER.name),
}
