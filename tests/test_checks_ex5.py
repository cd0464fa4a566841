"""Unit tests of the exercise-5 checks: the notebook's solution passes, typical GRU bugs fail
with a message naming the bug, trained-model checks reject typed-in numbers and untrained
models, and verdicts survive the trip out of the kernel."""

from __future__ import annotations

import numpy as np
import pytest
from mutants.ex5_gru import MUTANTS
from solution_code import solution_namespace

from autograder.checks import ex5
from autograder.checks.base import REGISTRY, Verdict, judge_record
from autograder.probe import ProbeRecord, decode_value, encode_value
from lstm_reference import gru as ref
from lstm_reference.lstm import init_lstm_params
from lstm_reference.model import init_char_lm, init_classifier

SKIP = ("race_answer",)  # training is exercised by the round-trip test
PAIRS = {"ex5.gru_step_backward": ("gru_step_forward", "gru_step_backward"),
         "ex5.gru_backward": ("gru_forward", "gru_backward")}
FUNCTION_CHECKS = ["ex5.gru_step_forward", "ex5.gru_step_backward", "ex5.gru_forward",
                   "ex5.gru_backward", "ex5.count_params"]


@pytest.fixture(scope="module")
def sol():
    return solution_namespace("ex5_gru", skip=SKIP)


def verdict(ns, name, seed):
    fn = tuple(ns[k] for k in PAIRS[name]) if name in PAIRS else ns[name.split(".", 1)[1]]
    check = REGISTRY[name]
    outputs = check.run_student(fn, check.make_inputs(seed))
    inside = check.judge(check.make_inputs(seed), outputs)
    outside = judge_record(ProbeRecord(name, seed, decode_value(encode_value(outputs))))
    assert inside == outside
    return inside


@pytest.mark.parametrize("name", FUNCTION_CHECKS)
def test_solution_passes_on_several_seeds(sol, name):
    for seed in (0, 1, 4242):
        v = verdict(sol, name, seed)
        assert v.ok, v.message


@pytest.mark.parametrize(("mutant", "name", "words"), [
    ("z_and_1_minus_z_swapped", "ex5.gru_step_forward", "z and 1 − z are swapped"),
    ("reset_gate_ignored", "ex5.gru_step_forward", "reset gate is not used"),
    ("sigmoid_candidate", "ex5.gru_step_forward", "uses tanh, not sigmoid"),
    ("dh_prev_without_direct_path", "ex5.gru_step_backward", "misses the direct path"),
    ("reset_gradient_without_h_prev", "ex5.gru_step_backward", "dWr"),
    ("grads_not_summed_over_time", "ex5.gru_backward", "summed over all time steps"),
    ("count_weights_only", "ex5.count_params", "weights and biases alike"),
])
def test_mutant_fails_with_a_message_naming_the_bug(mutant, name, words):
    ns = solution_namespace("ex5_gru", MUTANTS[mutant], skip=SKIP)
    v = verdict(ns, name, 5)
    assert not v.ok
    assert words in v.message, v.message


def test_pytorch_form_is_named(sol):
    def reset_after(x, h_prev, p):
        return ref.gru_step_forward(x, h_prev, {**p, "bhn": np.zeros_like(p["bh"])}, True)

    check = REGISTRY["ex5.gru_step_forward"]
    v = check.judge(check.make_inputs(2), check.run_student(reset_after, check.make_inputs(2)))
    assert not v.ok and "PyTorch" in v.message


def _results():
    """Untrained models of the right shapes (trained=False) with honestly measured scores."""
    V = len(ex5.corpus_vocab())
    rng = np.random.default_rng(0)
    out = {}
    for cell in ("gru", "lstm"):
        lm = init_char_lm(V, 8, cell, rng)
        task = init_classifier(8, 8, 4, cell, rng)
        X, y = ex5.eval_task()
        out[cell] = {"lm_params": lm, "task_params": task,
                     "lm_loss": ex5.lm_loss(lm, cell, ex5.eval_text()),
                     "task_accuracy": ex5.task_accuracy(task, cell, X, y), "seconds": 0.0}
    return out


def _judge(name, results, seed=0):
    check = REGISTRY[name]
    outputs = decode_value(encode_value(check.run_student(results, check.make_inputs(seed))))
    return check.judge(check.make_inputs(seed), outputs)


def test_honest_table_of_untrained_models_is_consistent_but_not_good_enough():
    results = _results()
    assert _judge("ex5.results_table", results).ok
    v = _judge("ex5.trained_gru", results, seed=9)
    assert not v.ok and "fresh stories" in v.message


def test_typed_in_numbers_are_rejected():
    results = _results()
    results["gru"]["task_accuracy"] = 0.97
    v = _judge("ex5.results_table", results)
    assert not v.ok and "task_accuracy" in v.message


def test_wrong_cell_parameters_are_rejected():
    results = _results()
    results["gru"]["lm_params"] = {**init_lstm_params(3, 4), "Wy": np.zeros((3, 4)),
                                   "by": np.zeros((3, 1))}
    v = _judge("ex5.trained_gru", results)
    assert not v.ok and "lacks" in v.message


@pytest.mark.parametrize("garbage", [None, 1.5, "x", [], {"gru": 1, "lstm": 2}])
def test_forged_outputs_fail_without_crashing_the_grader(garbage):
    for name in [*FUNCTION_CHECKS, "ex5.results_table", "ex5.trained_gru"]:
        v = judge_record(ProbeRecord(name, 0, garbage))
        assert isinstance(v, Verdict) and not v.ok


def test_held_out_data_differs_from_training_and_between_seeds():
    assert ex5.eval_text() not in ex5.training_text()
    assert ex5.eval_text(1000, 10) != ex5.eval_text(1001, 10)
    X1, _ = ex5.eval_task(2000, 50)
    X2, _ = ex5.eval_task(2001, 50)
    assert not np.array_equal(X1, X2)
