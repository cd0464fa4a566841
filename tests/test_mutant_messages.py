"""Every mutant of exercises 1 and 5 loses exactly the points of its bug, and says so once.

Kernel-free: each function check of the exercise is run on the mutated solution (as in
``test_checks_ex*.py``), the verdicts go through the grader's attribution of knock-on failures
(:func:`autograder.judge.attribute_failures`, with one test cell per check in notebook order),
and then:

* the test cell meant to catch the mutant (``CAUGHT_BY``) fails with a message naming the bug;
* every other failing cell uses the broken function (``REQUIRES``) and says "fails because
  `<that function>` is wrong; fix that first" instead of accusing its own code;
* no cell that does not use the broken function fails.
"""

from __future__ import annotations

import importlib

import nbformat
import pytest
from honest_harness import grade
from solution_code import solution_namespace

from autograder import attribution
from autograder.assemble import Assembled, CellRole
from autograder.checks.base import REGISTRY
from autograder.judge import CellResult, attribute_failures, check_packages

#: exercise -> [(test cell, check, what the cell passes)] in notebook order (training excluded)
CELLS = {
    "ex1_lstm_from_scratch": [
        ("test_sigmoid", "ex1.sigmoid", ("sigmoid",)),
        ("test_lstm_step_forward", "ex1.lstm_step_forward", ("lstm_step_forward",)),
        ("test_lstm_step_backward", "ex1.lstm_step_backward",
         ("lstm_step_forward", "lstm_step_backward")),
        ("test_numerical_gradient", "ex1.numerical_gradient", ("numerical_gradient",)),
        ("test_lstm_forward", "ex1.lstm_forward", ("lstm_forward",)),
        ("test_lstm_backward", "ex1.lstm_backward", ("lstm_forward", "lstm_backward")),
        ("test_softmax_cross_entropy", "ex1.softmax_cross_entropy", ("softmax_cross_entropy",)),
        ("test_clip_gradients", "ex1.clip_gradients", ("clip_gradients",)),
        ("test_char_loss", "ex1.char_loss", ("char_loss",)),
    ],
    "ex5_gru": [
        ("test_gru_step_forward", "ex5.gru_step_forward", ("gru_step_forward",)),
        ("test_gru_step_backward", "ex5.gru_step_backward",
         ("gru_step_forward", "gru_step_backward")),
        ("test_gru_forward", "ex5.gru_forward", ("gru_forward",)),
        ("test_gru_backward", "ex5.gru_backward", ("gru_forward", "gru_backward")),
        ("test_count_params", "ex5.count_params", ("count_params",)),
    ],
}
SKIP = {"ex1_lstm_from_scratch": ("train_answer",), "ex5_gru": ("race_answer",)}
#: the words that name each mutant's bug in the message of the cell that catches it
NAMED = {
    "gates_f_i_swapped": "forget and input gates are swapped",
    "x_h_order": "[h_prev; x]",
    "sigmoid_candidate": "tanh",
    "no_output_gate": "the output gate is missing",
    "forward_mutates_C_prev": "`lstm_step_forward` changed C_prev in place",
    "missing_dC_next": "ignore dC_next",
    "dC_prev_without_f": "through the forget gate",
    "forward_difference": "central differences",
    "cell_state_reset_each_step": "cell state is reset to C0",
    "grads_not_summed_over_time": "summed over all time steps",
    "softmax_without_max_shift": "subtract each column's max",
    "no_clipping": "clip every entry",
    "z_and_1_minus_z_swapped": "z and 1 − z are swapped",
    "reset_gate_ignored": "the reset gate is not used",
    "dh_prev_without_direct_path": "direct path",
    "reset_gradient_without_h_prev": "dWr",
    "count_weights_only": "weights and biases alike",
}


def _mutants(ex: str) -> list[tuple[str, str]]:
    module = importlib.import_module(f"mutants.{ex}")
    checked = {gid for gid, _, _ in CELLS[ex]}
    return [(name, module.CAUGHT_BY[name]) for name in module.MUTANTS
            if module.CAUGHT_BY[name] in checked]


def _graded(ex: str, mutant: str) -> list[CellResult]:
    """The test cells' results for a mutant, after the grader's attribution."""
    module = importlib.import_module(f"mutants.{ex}")
    ns = solution_namespace(ex, module.MUTANTS[mutant], skip=SKIP[ex])
    nb = nbformat.v4.new_notebook()
    roles, results = [], []
    for gid, check, names in CELLS[ex]:
        obj = ns[names[0]] if len(names) == 1 else tuple(ns[n] for n in names)
        call = "check_" + check.split(".", 1)[1]
        nb.cells.append(nbformat.v4.new_code_cell(f"checks.{call}(x)"))
        roles.append(CellRole("test", gid, 1.0, f"checks.{call}(x)"))
        try:
            verdict = grade(check, obj, 3)
            results.append(CellResult(gid, 1.0, verdict.ok, verdict.message))
        except Exception as exc:  # the cell would fail with this exception
            results.append(CellResult(gid, 1.0, False, f"{type(exc).__name__}: {exc}"))
    attribute_failures(Assembled(nb, roles), nb, results)
    return results


@pytest.mark.parametrize(("ex", "mutant", "caught_by"),
                         [(ex, m, c) for ex in CELLS for m, c in _mutants(ex)])
def test_a_mutant_loses_the_points_of_its_bug_with_one_message(ex, mutant, caught_by):
    results = {r.grade_id: r for r in _graded(ex, mutant)}
    root = results[caught_by]
    assert not root.passed, f"{mutant} is not caught by {caught_by}"
    assert NAMED[mutant] in root.message, root.message
    assert not root.message.startswith("fails because"), root.message
    check_of = {gid: check for gid, check, _ in CELLS[ex]}
    requires = attribution.requirements(check_packages())
    root_function = attribution.function_name(check_of[caught_by])
    for gid, result in results.items():
        if gid == caught_by:
            continue
        uses_root = check_of[caught_by] in attribution.closure([check_of[gid]], requires)
        if not uses_root:
            assert result.passed, f"{mutant}: {gid} fails but does not use {root_function}: " \
                                  f"{result.message}"
        elif not result.passed:
            assert result.message.startswith(f"fails because `{root_function}` is wrong"), \
                f"{mutant}: {gid} accuses its own code: {result.message}"


def test_every_function_check_is_in_the_table():
    for ex, cells in CELLS.items():
        prefix = ex.split("_", 1)[0] + "."
        listed = {check for _, check, _ in cells}
        registered = {n for n in REGISTRY if n.startswith(prefix)}
        trained = {"ex1.memorised", "ex5.results_table", "ex5.trained_gru"}
        assert registered - trained == listed
