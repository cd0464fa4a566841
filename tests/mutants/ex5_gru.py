"""Plausible wrong solutions of exercise 5 (see ``ex1_lstm_from_scratch.py`` for the format)."""

MUTANTS = {
    "z_and_1_minus_z_swapped": [
        ("gru_step_forward_answer", "h = (1.0 - z) * h_prev + z * h_tilde",
         "h = z * h_prev + (1.0 - z) * h_tilde"),
    ],
    "reset_gate_ignored": [
        ("gru_step_forward_answer", "rhx = np.concatenate([r * h_prev, x], axis=0)",
         "rhx = np.concatenate([h_prev, x], axis=0)"),
    ],
    "sigmoid_candidate": [
        ("gru_step_forward_answer", 'h_tilde = np.tanh(p["Wh"] @ rhx + p["bh"])',
         'h_tilde = sigmoid(p["Wh"] @ rhx + p["bh"])'),
    ],
    "dh_prev_without_direct_path": [
        ("gru_step_backward_answer", "dh_prev = dh * (1.0 - z) + g[:H] * r + gates[:H]",
         "dh_prev = g[:H] * r + gates[:H]"),
    ],
    "reset_gradient_without_h_prev": [
        ("gru_step_backward_answer", "da_r = g[:H] * h_prev * r * (1.0 - r)",
         "da_r = g[:H] * r * (1.0 - r)"),
    ],
    "grads_not_summed_over_time": [
        ("gru_sequence_answer", "grads[k] = grads[k] + v if k in grads else v", "grads[k] = v"),
    ],
    "count_weights_only": [
        ("count_answer", "int(sum(v.size for v in p.values()))",
         'int(sum(v.size for k, v in p.items() if k.startswith("W")))'),
    ],
    "loss_typed_in_by_hand": [
        ("race_answer", '"lm_loss": lm_loss,', '"lm_loss": 1.25,'),
    ],
    "untrained_models": [
        ("race_answer", 'train_char_lm(run, TRAIN_IDS, steps=budget["lm_steps"])',
         "train_char_lm(run, TRAIN_IDS, steps=1)"),
        ("race_answer", 'steps=budget["task_steps"]', "steps=1"),
    ],
}

CAUGHT_BY = {
    "z_and_1_minus_z_swapped": "test_gru_step_forward",
    "reset_gate_ignored": "test_gru_step_forward",
    "sigmoid_candidate": "test_gru_step_forward",
    "dh_prev_without_direct_path": "test_gru_step_backward",
    "reset_gradient_without_h_prev": "test_gru_step_backward",
    "grads_not_summed_over_time": "test_gru_backward",
    "count_weights_only": "test_count_params",
    "loss_typed_in_by_hand": "test_results_table",
    "untrained_models": "test_trained_gru",
}
