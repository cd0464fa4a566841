"""Plausible wrong solutions of exercise 1, as edits of the source solution.

``MUTANTS[name]`` is a list of ``(answer_grade_id, old_snippet, new_snippet)``; every
``old_snippet`` must occur in that answer cell of ``source/``, so a mutant can never silently
equal the solution. ``CAUGHT_BY[name]`` is the test cell that is meant to catch it (the
round-trip test checks that this cell loses points; other cells may lose points too).
"""

MUTANTS = {
    "gates_f_i_swapped": [
        ("lstm_step_forward_answer",
         'f = sigmoid(p["Wf"] @ hx + p["bf"])\n    i = sigmoid(p["Wi"] @ hx + p["bi"])',
         'f = sigmoid(p["Wi"] @ hx + p["bi"])\n    i = sigmoid(p["Wf"] @ hx + p["bf"])'),
    ],
    "x_h_order": [
        ("lstm_step_forward_answer", "np.concatenate([h_prev, x], axis=0)",
         "np.concatenate([x, h_prev], axis=0)"),
    ],
    "sigmoid_candidate": [
        ("lstm_step_forward_answer", 'C_tilde = np.tanh(p["WC"]', 'C_tilde = sigmoid(p["WC"]'),
    ],
    "no_output_gate": [
        ("lstm_step_forward_answer", "h = o * tanh_C", "h = tanh_C"),
    ],
    "forward_mutates_C_prev": [
        ("lstm_step_forward_answer", "C = f * C_prev + i * C_tilde",
         "C_prev *= f\n    C = C_prev + i * C_tilde"),
    ],
    "missing_dC_next": [
        ("lstm_step_backward_answer", '(1.0 - c["tanh_C"] ** 2) + dC_next',
         '(1.0 - c["tanh_C"] ** 2)'),
    ],
    "dC_prev_without_f": [
        ("lstm_step_backward_answer", 'dC_prev = dC * c["f"]', "dC_prev = dC"),
    ],
    "forward_difference": [
        ("numerical_gradient_answer", "x[idx] = old - eps\n        f_minus = f()",
         "x[idx] = old\n        f_minus = f()"),
        ("numerical_gradient_answer", "(f_plus - f_minus) / (2.0 * eps)",
         "(f_plus - f_minus) / eps"),
    ],
    "cell_state_reset_each_step": [
        ("lstm_forward_answer", "lstm_step_forward(X[t], h, C, p)",
         "lstm_step_forward(X[t], h, C0, p)"),
    ],
    "grads_not_summed_over_time": [
        ("lstm_backward_answer", "grads[k] = grads[k] + v if k in grads else v", "grads[k] = v"),
    ],
    "softmax_without_max_shift": [
        ("softmax_answer", "z = logits - logits.max(axis=0, keepdims=True)", "z = logits"),
    ],
    "no_clipping": [
        ("clip_answer", "return {k: np.clip(v, -max_value, max_value) for k, v in grads.items()}",
         "return grads"),
    ],
    "untrained_weights": [
        ("train_answer", "adam_update(p, clip_gradients(grads, 5.0), state, lr)",
         "clip_gradients(grads, 5.0)  # the update was forgotten"),
    ],
}

CAUGHT_BY = {
    "gates_f_i_swapped": "test_lstm_step_forward",
    "x_h_order": "test_lstm_step_forward",
    "sigmoid_candidate": "test_lstm_step_forward",
    "no_output_gate": "test_lstm_step_forward",
    "forward_mutates_C_prev": "test_lstm_step_forward",
    "missing_dC_next": "test_lstm_step_backward",
    "dC_prev_without_f": "test_lstm_step_backward",
    "forward_difference": "test_numerical_gradient",
    "cell_state_reset_each_step": "test_lstm_forward",
    "grads_not_summed_over_time": "test_lstm_backward",
    "softmax_without_max_shift": "test_softmax_cross_entropy",
    "no_clipping": "test_clip_gradients",
    "untrained_weights": "test_memorised",
}
