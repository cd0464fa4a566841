"""Plausible wrong solutions of exercise 4, as edits of the source solution.

``MUTANTS[name]`` is a list of ``(answer_grade_id, old_snippet, new_snippet)``; every
``old_snippet`` must occur in that answer cell of ``source/``. ``CAUGHT_BY[name]`` is the test
cell meant to catch it (other cells may lose points too).
"""

MUTANTS = {
    # the class is computed second-major: XY and YX swap
    "labels_swapped": [
        ("generator_answer", "return X, 2 * first + second", "return X, first + 2 * second"),
    ],
    # the second relevant symbol is placed in the wrong window (30-40 % instead of 50-60 %)
    "second_window_wrong": [
        ("generator_answer", "rng.integers(round(0.5 * T), round(0.6 * T) + 1, size=batch)",
         "rng.integers(round(0.3 * T), round(0.4 * T) + 1, size=batch)"),
    ],
    # the optimizer step was forgotten: the "trained" models are the initial weights
    "untrained_weights": [
        ("train_answer", "opt.step(p, grads)", "pass  # the update was forgotten"),
    ],
    # the models handed in were trained at T = 10, not at T = 50
    "trained_at_short_T": [
        ("experiment_answer", 'TRAINED = {"lstm": models["lstm", 50], "rnn": models["rnn", 50]}',
         'TRAINED = {"lstm": models["lstm", 10], "rnn": models["rnn", 10]}'),
    ],
    # gradient norms summed over the batch instead of averaged
    "flow_summed_over_batch": [
        ("gradient_flow_answer", "np.linalg.norm(dX, axis=1).mean(axis=1)",
         "np.linalg.norm(dX, axis=1).sum(axis=1)"),
    ],
    # the loss sums h over every step instead of the last one
    "flow_loss_on_every_step": [
        ("gradient_flow_answer", "dhs[-1] = 1.0", "dhs[:] = 1.0"),
    ],
}

CAUGHT_BY = {
    "labels_swapped": "test_generator",
    "second_window_wrong": "test_generator",
    "untrained_weights": "test_trained",
    "trained_at_short_T": "test_trained",
    "flow_summed_over_batch": "test_gradient_flow",
    "flow_loss_on_every_step": "test_gradient_flow",
}
