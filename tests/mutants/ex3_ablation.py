"""Plausible wrong solutions of exercise 3, as edits of the source solution.

``MUTANTS[name]`` is a list of ``(answer_grade_id, old_snippet, new_snippet)``; every
``old_snippet`` must occur in that answer cell of ``source/``. ``CAUGHT_BY[name]`` is the test
cell meant to catch it (other cells may lose points too).
"""

MUTANTS = {
    # "no forget gate" read as "forget everything": f ≡ 0 instead of 1
    "nfg_forgets_everything": [
        ("forward_answer", 'f = ones if variant == "nfg"', 'f = 0 * ones if variant == "nfg"'),
    ],
    # CIFG backward forgets that i = 1 − f also depends on the forget gate
    "cifg_backward_uncoupled": [
        ("backward_answer", 'df = df - dC * c["C_tilde"]', "df = df"),
    ],
    # the optimizer step was forgotten: every "trained" model is its initialisation
    "untrained_weights": [
        ("train_answer", "opt.step(p, grads)", "pass  # the update was forgotten"),
    ],
    # a results table typed in by hand (percentages in the spirit of the paper)
    "table_typed_in": [
        ("results_answer",
         "for v in VARIANTS:\n    losses = [stream_loss(p, v, test_ids, test_targets) for p in "
         "TRAINED[v]]\n    RESULTS[v] = (float(np.mean(losses)), float(np.std(losses)))",
         "RESULTS = {'lstm': (0.5, 0.0), 'nfg': (0.6, 0.1), 'nig': (0.52, 0.0), "
         "'nog': (0.53, 0.0), 'niaf': (0.55, 0.0), 'noaf': (0.7, 0.1), 'cifg': (0.5, 0.0)}"),
    ],
    # the conclusion copied from the literature instead of the student's own numbers
    "conclusion_from_literature": [
        ("results_answer", "MOST_IMPORTANT = max(VARIANTS[1:], key=lambda v: RESULTS[v][0])",
         'MOST_IMPORTANT = "noaf"'),
    ],
}

CAUGHT_BY = {
    "nfg_forgets_everything": "test_forward",
    "cifg_backward_uncoupled": "test_backward",
    "untrained_weights": "test_trained",
    "table_typed_in": "test_conclusion",
    "conclusion_from_literature": "test_conclusion",
}
