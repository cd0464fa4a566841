"""Unit tests of the exercise-1 checks: the notebook's solution (written independently of the
reference) passes, typical bugs fail with a message naming the bug, and verdicts survive the
trip out of the kernel as probe records."""

from __future__ import annotations

import numpy as np
import pytest
from mutants.ex1_lstm_from_scratch import MUTANTS
from solution_code import solution_namespace

from autograder.checks import ex1
from autograder.checks.base import REGISTRY, Verdict, judge_record, run_check
from autograder.probe import ProbeRecord, decode_value, encode_value
from lstm_reference import lstm as ref
from lstm_reference.model import init_char_lm
from lstm_reference.optim import make_optimizer
from lstm_reference.training import LMRun, train_char_lm
from lstm_reference.vocab import Vocab

SKIP = ("train_answer",)  # training is exercised by the round-trip test


@pytest.fixture(scope="module")
def sol():
    return solution_namespace("ex1_lstm_from_scratch", skip=SKIP)


def student(ns, name):
    pairs = {"ex1.lstm_step_backward": ("lstm_step_forward", "lstm_step_backward"),
             "ex1.lstm_backward": ("lstm_forward", "lstm_backward")}
    if name in pairs:
        return tuple(ns[k] for k in pairs[name])
    return ns[name.split(".", 1)[1]]


def verdict(ns, name, seed):
    check = REGISTRY[name]
    outputs = check.run_student(student(ns, name), check.make_inputs(seed))
    inside = check.judge(check.make_inputs(seed), outputs)
    outside = judge_record(ProbeRecord(name, seed, decode_value(encode_value(outputs))))
    assert inside == outside, "the verdict must not change when judged outside the kernel"
    return inside


FUNCTION_CHECKS = [n for n in REGISTRY if n.startswith("ex1.") and n != "ex1.memorised"]


@pytest.mark.parametrize("name", FUNCTION_CHECKS)
def test_solution_passes_on_several_seeds(sol, name):
    for seed in (0, 1, 12345):
        v = verdict(sol, name, seed)
        assert v.ok, v.message


def test_cases_cover_batch_hidden_one_and_single_step():
    cases = ex1.make_cases(7)["cases"]
    assert cases[0]["x"].shape[1] > 1
    assert cases[1]["h_prev"].shape[0] == 1
    assert cases[2]["x"].shape[1] == 1 and cases[2]["X"].shape[0] == 1


@pytest.mark.parametrize(("mutant", "name", "words"), [
    ("gates_f_i_swapped", "ex1.lstm_step_forward", "forget and input gates are swapped"),
    ("x_h_order", "ex1.lstm_step_forward", "[h_prev; x]"),
    ("sigmoid_candidate", "ex1.lstm_step_forward", "must use tanh"),
    ("no_output_gate", "ex1.lstm_step_forward", "the output gate is missing"),
    ("forward_mutates_C_prev", "ex1.lstm_step_forward",
     "`lstm_step_forward` changed C_prev in place"),
    ("missing_dC_next", "ex1.lstm_step_backward", "ignore dC_next"),
    ("dC_prev_without_f", "ex1.lstm_step_backward", "through the forget gate"),
    ("forward_difference", "ex1.numerical_gradient", "central differences"),
    ("cell_state_reset_each_step", "ex1.lstm_forward", "cell state is reset to C0"),
    ("grads_not_summed_over_time", "ex1.lstm_backward", "summed over all time steps"),
    ("softmax_without_max_shift", "ex1.softmax_cross_entropy", "subtract each column's max"),
    ("no_clipping", "ex1.clip_gradients", "clip every entry"),
])
def test_mutant_fails_with_a_message_naming_the_bug(mutant, name, words):
    ns = solution_namespace("ex1_lstm_from_scratch", MUTANTS[mutant], skip=SKIP)
    v = verdict(ns, name, 3)
    assert not v.ok
    assert words in v.message, v.message


def test_shape_message_mentions_batch(sol):
    def squeezed(x, h_prev, C_prev, p):
        h, C, cache = sol["lstm_step_forward"](x, h_prev, C_prev, p)
        return h[:, :1], C, cache

    v = REGISTRY["ex1.lstm_step_forward"].judge(
        ex1.make_cases(0), REGISTRY["ex1.lstm_step_forward"].run_student(squeezed,
                                                                       ex1.make_cases(0)))
    assert not v.ok and "expected" in v.message and "B=1" in v.message


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_sigmoid_that_warns_but_is_right_passes():
    """exp(800) overflows to inf and NumPy warns, but 1 / (1 + inf) = 0 is exact: a correct,
    finite result never loses a point for a warning."""
    v = verdict({"sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z))}, "ex1.sigmoid", 0)
    assert v.ok, v.message


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_sigmoid_that_gives_nan_fails_saying_why():
    v = verdict({"sigmoid": lambda z: np.exp(z) / (np.exp(z) + 1.0)}, "ex1.sigmoid", 0)
    assert not v.ok and "NaN" in v.message and "inf / inf" in v.message


def test_borrowed_reference_function_is_rejected():
    with pytest.raises(AssertionError, match="comes from `lstm_reference"):
        run_check("ex1.lstm_step_forward", ref.lstm_step_forward, seed=0)
    with pytest.raises(AssertionError, match="comes from"):
        ex1.check_lstm_backward((ref.lstm_forward, ref.lstm_backward), seed=0)


def test_wrong_number_of_return_values_is_explained(sol):
    check = REGISTRY["ex1.lstm_step_forward"]
    outputs = check.run_student(lambda x, h, C, p: sol["lstm_step_forward"](x, h, C, p)[:2],
                                check.make_inputs(0))
    v = check.judge(check.make_inputs(0), outputs)
    assert not v.ok and "should return 3 values" in v.message


@pytest.mark.parametrize("garbage", [None, 3, "x", [1, 2], {"cases": 1}, [{"h": "oops"}] * 3])
def test_forged_outputs_fail_without_crashing_the_grader(garbage):
    for name in [*FUNCTION_CHECKS, "ex1.memorised"]:
        v = judge_record(ProbeRecord(name, 0, garbage))
        assert isinstance(v, Verdict) and not v.ok


def test_memorised_rejects_untrained_and_misshapen_params():
    text = ex1.MEMORISE_TEXT
    V, H = len(set(text)), 8
    rng = np.random.default_rng(0)
    p = ref.init_lstm_params(V, H, rng)
    p["Wy"], p["by"] = rng.normal(size=(V, H)) * 0.1, np.zeros((V, 1))
    v = REGISTRY["ex1.memorised"].judge({"text": text}, p)
    assert not v.ok and "predicts" in v.message
    p["Wy"] = p["Wy"][:, :3]
    v = REGISTRY["ex1.memorised"].judge({"text": text}, p)
    assert not v.ok and "Wy has shape" in v.message


def test_memorised_accepts_a_model_that_knows_the_text():
    """Memorise the text with the reference trainer; the check must accept the result."""
    text = ex1.MEMORISE_TEXT
    vocab = Vocab.from_text(text)
    rng = np.random.default_rng(0)
    run = LMRun(params=init_char_lm(len(vocab), 32, "lstm", rng),
                optimizer=make_optimizer("adam", 2e-2), cell="lstm", batch_size=1,
                seq_length=len(text) - 1)
    train_char_lm(run, vocab.encode(text), steps=300)
    accuracy, _ = ex1.memorised_accuracy(run.params, text)
    v = REGISTRY["ex1.memorised"].judge({"text": text}, run.params)
    assert v.ok == (accuracy >= ex1.MEMORISE_MIN_ACCURACY)
    assert v.ok, v.message


def test_a_bug_is_named_only_if_every_compared_output_matches_it():
    """Gradients not summed over time leave dX right: the message must not blame dh_T / dC_T
    (a variant that equals the correct dX on the general case) and names the real bug."""
    ns = solution_namespace("ex1_lstm_from_scratch", MUTANTS["grads_not_summed_over_time"],
                            skip=SKIP)
    for seed in (0, 3, 11):
        v = verdict(ns, "ex1.lstm_backward", seed)
        assert not v.ok and "dh_T / dC_T" not in v.message, v.message
        assert "keep only one step" in v.message, v.message
