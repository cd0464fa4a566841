"""The exercise-3 checks accept the notebook's solution and reject plausible wrong answers.

The step functions under test are the solution cells of ``source/ex3_ablation`` (written
independently of the library's shared variant implementation the checks compare against).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.checks import ex3
from autograder.checks.base import REGISTRY, judge_record
from autograder.probe import ProbeRecord, decode_value, encode_value
from lstm_reference import ablation_study as study
from lstm_reference.activations import sigmoid

SOURCE = Path(__file__).resolve().parent.parent / "source" / "ex3_ablation" / "ex3_ablation.ipynb"


def solution_namespace(edits: tuple[tuple[str, str], ...] = ()) -> dict:
    """Exec the step-function answer cells (markers stripped), with optional text edits."""
    nb = nbformat.read(SOURCE, as_version=4)
    ns: dict = {"np": np, "sigmoid": sigmoid}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in ("forward_answer", "backward_answer"):
            src = re.sub(r"^\s*### (BEGIN|END) SOLUTION\n", "", cell.source, flags=re.M)
            for old, new in edits:
                if old in src:
                    src = src.replace(old, new)
            exec(src, ns)
    return ns


SOLUTION = solution_namespace()


def failure(check, *args, seed: int = 0) -> str:
    with pytest.raises(AssertionError) as info:
        check(*args, seed=seed)
    return str(info.value)


@pytest.mark.parametrize("seed", [0, 1])
def test_solution_steps_pass(seed: int) -> None:
    ex3.check_variant_forward(SOLUTION["ablated_step_forward"], seed=seed)
    ex3.check_variant_backward(
        SOLUTION["ablated_step_forward"], SOLUTION["ablated_step_backward"], seed=seed
    )


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('f = ones if variant == "nfg"', 'f = 0 * ones if variant == "nfg"', ["'nfg'", "f ≡ 1"]),
        ("i = 1.0 - f", "i = f", ["'cifg'", "i = 1 − f"]),
        ('act = C if variant == "noaf"', 'act = C if variant == "nog"', ["'nog'"]),
        ('C_tilde = a if variant == "niaf"', 'C_tilde = a if variant == "x"', ["'niaf'", "linear"]),
    ],
)
def test_wrong_forward_names_the_variant(old: str, new: str, words: list[str]) -> None:
    ns = solution_namespace(((old, new),))
    msg = failure(ex3.check_variant_forward, ns["ablated_step_forward"])
    for w in words:
        assert w in msg


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('df = df - dC * c["C_tilde"]', "df = df", ["'cifg'", "grads['Wf']"]),
        ('dact = 1.0 if v == "noaf"', 'dact = 1.0 if v == "x"', ["'noaf'", "dh⊙o"]),
        ('dC * c["f"], grads', "dC, grads", ["dC_prev"]),
    ],
)
def test_wrong_backward_names_the_variant(old: str, new: str, words: list[str]) -> None:
    ns = solution_namespace(((old, new),))
    msg = failure(
        ex3.check_variant_backward, ns["ablated_step_forward"], ns["ablated_step_backward"]
    )
    for w in words:
        assert w in msg, msg


def test_extra_gradient_keys_are_rejected() -> None:
    def backward(dh, dC_next, cache):
        dx, dh_prev, dC_prev, grads = SOLUTION["ablated_step_backward"](dh, dC_next, cache)
        if cache["variant"] == "nig":
            grads["Wi"] = np.zeros((dh.shape[0], cache["hx"].shape[0]))
        return dx, dh_prev, dC_prev, grads

    msg = failure(ex3.check_variant_backward, SOLUTION["ablated_step_forward"], backward)
    assert "'nig'" in msg and "does not have" in msg


@pytest.fixture(scope="module")
def trained() -> dict[str, list[dict[str, np.ndarray]]]:
    """Every variant trained briefly on 3 seeds (a smaller budget than the notebook's)."""
    models: dict[str, list] = {v: [] for v in study.VARIANTS}
    for seed in range(3):
        data = study.stream(seed, 40 * study.CHUNK, 8)
        for v in study.VARIANTS:
            models[v].append(study.train_on_stream(v, seed, steps=40, batch=8, data=data))
    return models


@pytest.fixture
def short_eval(monkeypatch):
    """Judge on shorter fresh streams than the real check does, to keep these tests fast."""
    monkeypatch.setattr(study, "eval_stream", lambda seed: study.stream(seed + 17, 300, 4))


@pytest.fixture(scope="module")
def own_table(trained) -> dict[str, tuple[float, float]]:
    """The table a student computes on their own stream (not the grader's)."""
    return study.results_table(trained, study.stream(2024, 300, 4))


def test_trained_models_pass_and_untrained_fail(trained, short_eval) -> None:
    ex3.check_trained(trained, seed=0)
    untrained = {
        v: [study.init_char_lm(7, 8, v, np.random.default_rng(s)) for s in range(3)]
        for v in study.VARIANTS
    }
    assert "cross-entropy" in failure(ex3.check_trained, untrained)


def test_trained_shape_errors(trained, short_eval) -> None:
    assert "at least 3" in failure(ex3.check_trained, {**trained, "nig": trained["nig"][:2]})
    copies = {**trained, "nog": [trained["nog"][0]] * 3}
    assert "same model" in failure(ex3.check_trained, copies)
    missing = {v: r for v, r in trained.items() if v != "cifg"}
    assert "missing the keys" in failure(ex3.check_trained, missing)
    wrong_keys = {**trained, "nfg": trained["lstm"]}
    assert "'nfg'" in failure(ex3.check_trained, wrong_keys)


def test_choice_must_follow_the_students_table(own_table) -> None:
    best = study.most_important(own_table)
    ex3.check_choice(own_table, best, seed=0)
    other = min(study.ABLATIONS, key=lambda v: own_table[v][0])
    assert "hurts most" in failure(ex3.check_choice, own_table, other)
    assert "ablations" in failure(ex3.check_choice, own_table, "lstm")


def test_choice_may_be_a_numpy_string(trained, own_table, short_eval) -> None:
    # np.array(VARIANTS)[k] is a np.str_ (a str): accepted, and still judged
    names = np.array(study.VARIANTS)
    best = names[names == study.most_important(own_table)][0]
    assert isinstance(best, np.str_)
    ex3.check_choice(own_table, best, seed=0)
    ex3.check_conclusion(trained, own_table, best, seed=0)
    other = names[names == min(study.ABLATIONS, key=lambda v: own_table[v][0])][0]
    assert "hurts most" in failure(ex3.check_choice, own_table, other)


def test_conclusion_follows_the_recomputed_table(trained, own_table, short_eval) -> None:
    best = study.most_important(own_table)
    ex3.check_conclusion(trained, own_table, best, seed=0)
    typed = {v: (0.5, 0.0) for v in study.VARIANTS} | {"noaf": (0.9, 0.1)}
    ex3.check_choice(typed, "noaf", seed=0)  # consistent with itself ...
    assert "fresh stream" in failure(ex3.check_conclusion, trained, typed, "noaf")  # ... not real


def test_verdict_is_recomputed_outside_from_the_probe_record(
    trained, own_table, short_eval
) -> None:
    check = REGISTRY[ex3.CHECK_CONCLUSION.name]
    worst = min(study.ABLATIONS, key=lambda v: own_table[v][0])
    for choice, ok in ((study.most_important(own_table), True), (worst, False)):
        study_out = {"trained": trained, "table": own_table, "most_important": choice}
        outputs = check.run_student(study_out, check.make_inputs(5))
        record = ProbeRecord(check.name, 5, decode_value(encode_value(outputs)))
        assert judge_record(record).ok is ok
