"""The exercise-2 checks accept correct answers and reject plausible wrong ones with a message.

The correct answers are the solution cells of ``source/ex2_gate_analysis`` (their own loop,
not the library's recording function the checks compare against)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.checks import ex2
from autograder.checks.base import REGISTRY, judge_record
from autograder.probe import ProbeRecord, decode_value, encode_value

SOURCE = (
    Path(__file__).resolve().parent.parent
    / "source"
    / "ex2_gate_analysis"
    / "ex2_gate_analysis.ipynb"
)
STEP_CELLS = ("record_answer", "finder_answer", "country_finder_answer", "saturation_answer")


def solution_namespace(edits: tuple[tuple[str, str], ...] = ()) -> dict:
    """Exec the function answer cells (markers stripped), with optional text edits."""
    nb = nbformat.read(SOURCE, as_version=4)
    ns: dict = {"np": np}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in STEP_CELLS:
            src = re.sub(r"^\s*### (BEGIN|END) SOLUTION\n", "", cell.source, flags=re.M)
            for old, new in edits:
                src = src.replace(old, new)
            exec(src, ns)
    return ns


SOLUTION = solution_namespace()


def failure(check, fn, seed: int = 0) -> str:
    with pytest.raises(AssertionError) as info:
        check(fn, seed=seed)
    return str(info.value)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_solutions_pass(seed: int) -> None:
    ex2.check_record_gates(SOLUTION["record_gates"], seed=seed)
    ex2.check_find_tracking_unit(SOLUTION["find_tracking_unit"], seed=seed)
    ex2.check_saturation_stats(SOLUTION["saturation_stats"], seed=seed)
    ex2.check_find_country_unit(SOLUTION["find_country_unit"], seed=seed)


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('("f", f), ("i", i)', '("f", i), ("i", f)', ["input gate", "not the forget gate"]),
        (
            "hx = np.concatenate([h, X[t]], axis=0)",
            "hx = np.concatenate([X[t], h], axis=0)",
            ["does not match", "hidden state first"],
        ),
    ],
)
def test_wrong_recordings_are_explained(old: str, new: str, words: list[str]) -> None:
    ns = solution_namespace(((old, new),))
    msg = failure(ex2.check_record_gates, ns["record_gates"])
    for w in words:
        assert w in msg, msg


def test_state_before_the_step_is_explained() -> None:
    def before(X, h0, C0, p):
        rec = SOLUTION["record_gates"](X, h0, C0, p)
        rec["C"] = np.concatenate([C0[None], rec["C"][:-1]])
        return rec

    assert "before step t" in failure(ex2.check_record_gates, before)


def test_only_one_column_is_explained() -> None:
    def one_column(X, h0, C0, p):
        rec = SOLUTION["record_gates"](X, h0, C0, p)
        return {k: v[:, :, 0] for k, v in rec.items()}

    assert "B=1" in failure(ex2.check_record_gates, one_column)


def test_finder_mistakes() -> None:
    no_abs = solution_namespace((("np.argmax(np.abs(r))", "np.argmax(r)"),))
    assert "|correlation|" in failure(ex2.check_find_tracking_unit, no_abs["find_tracking_unit"])
    no_guard = solution_namespace((("r[ok] = num[ok] / den[ok]", "r = num / den"),))
    assert "NaN" in failure(ex2.check_find_tracking_unit, no_guard["find_tracking_unit"])
    unsigned = solution_namespace((("float(r[unit])", "float(abs(r[unit]))"),))
    assert "signed" in failure(ex2.check_find_tracking_unit, unsigned["find_tracking_unit"])
    cov = solution_namespace((("r[ok] = num[ok] / den[ok]", "r = num / len(s)"),))
    msg = failure(ex2.check_find_tracking_unit, cov["find_tracking_unit"])
    assert "Pearson" in msg or "unit" in msg


def test_saturation_mistakes() -> None:
    swapped = solution_namespace(
        (
            (
                "return (gate < low).mean(axis=(0, 2)), (gate > high)",
                "return (gate > high).mean(axis=(0, 2)), (gate < low)",
            ),
        )
    )
    assert "swapped" in failure(ex2.check_saturation_stats, swapped["saturation_stats"])
    inclusive = solution_namespace((("(gate < low)", "(gate <= low)"),))
    assert "strictly" in failure(ex2.check_saturation_stats, inclusive["saturation_stats"])
    per_step = solution_namespace((("mean(axis=(0, 2))", "mean(axis=(1, 2))"),))
    assert "per unit" in failure(ex2.check_saturation_stats, per_step["saturation_stats"])


def test_records_are_rejudged_outside() -> None:
    check = REGISTRY[ex2.CHECK_RECORD.name]
    good = check.run_student(SOLUTION["record_gates"], check.make_inputs(3))
    record = ProbeRecord(check.name, 3, decode_value(encode_value(good)))
    assert judge_record(record).ok
    bad = {k: v + 0.01 for k, v in good.items()}
    assert not judge_record(ProbeRecord(check.name, 3, decode_value(encode_value(bad)))).ok
    assert not judge_record(ProbeRecord(check.name, 3, {"f": "nonsense"})).ok


# --------------------------------------------------------------------------- the trained tracker


def test_the_reference_picks_track_their_signals_on_fresh_stories() -> None:
    """The threshold is met by the reference's own procedure (pick on the notebook's passage,
    judged on fresh stories), and the picks are real trackers there."""
    picks = ex2.reference_picks()
    for seed in (0, 1):
        corr = ex2.correlations(ex2.fresh_passage(seed))
        found = {sig: abs(corr[sig, st][unit]) for sig, (st, unit) in picks.items()}
        assert max(found.values()) >= 0.25, (seed, picks, found)  # clearly more than noise
        for sig, (state, unit) in picks.items():
            ex2.check_tracker({"signal": sig, "state": state, "unit": unit}, seed=seed)


def test_a_weak_unit_is_not_a_tracker() -> None:
    corr = ex2.correlations(ex2.fresh_passage(0))
    weakest = int(np.argmin(np.abs(corr["inside_quotes", "h"])))
    msg = failure(ex2.check_tracker, {"signal": "inside_quotes", "state": "h", "unit": weakest})
    assert "needs |correlation|" in msg
    bad_signal = {"signal": "country", "state": "C", "unit": 0}
    assert "should be one of" in failure(ex2.check_tracker, bad_signal)
    too_big = {"signal": "inside_quotes", "state": "C", "unit": 10_000}
    assert "units" in failure(ex2.check_tracker, too_big)


# --------------------------------------------------------------------------- the remembered country


def test_country_finder_mistakes() -> None:
    with_unlabelled = solution_namespace((("keep = labels >= 0", "keep = labels >= -1"),))
    msg = failure(ex2.check_find_country_unit, with_unlabelled["find_country_unit"])
    assert "label −1" in msg, msg
    no_guard = solution_namespace(
        (("eta[ok] = np.sqrt(between[ok] / total[ok])", "eta = np.sqrt(between / total)"),)
    )
    assert "NaN" in failure(ex2.check_find_country_unit, no_guard["find_country_unit"])
    squared = solution_namespace((("np.sqrt(between[ok] / total[ok])", "between[ok] / total[ok]"),))
    assert "between-country" in failure(ex2.check_find_country_unit, squared["find_country_unit"])

    def pearson_on_ids(acts, labels):
        keep = labels >= 0
        from lstm_reference.analysis import tracking_correlations

        r = np.abs(tracking_correlations(acts[keep], labels[keep].astype(float)))
        return int(np.argmax(r)), float(r.max())

    msg = failure(ex2.check_find_country_unit, pearson_on_ids)
    assert "unit" in msg


def test_the_reference_country_pick_remembers_on_fresh_stories() -> None:
    state, unit = ex2.reference_country_pick()
    for seed in (0, 1):
        eta = ex2.country_etas(ex2.country_passage(seed + 1_000_003))
        assert eta[state][unit] >= 0.6, (seed, state, unit)  # far above noise (about 0.05)
        ex2.check_country_unit({"state": state, "unit": unit}, seed=seed)


def test_a_weak_unit_does_not_remember_the_country() -> None:
    eta = ex2.country_etas(ex2.country_passage(1_000_003))
    weakest = int(np.argmin(eta["h"]))
    msg = failure(ex2.check_country_unit, {"state": "h", "unit": weakest})
    assert "needs eta >=" in msg
    assert "'C'" in failure(ex2.check_country_unit, {"state": "x", "unit": 0})
    assert "units" in failure(ex2.check_country_unit, {"state": "C", "unit": 10_000})
