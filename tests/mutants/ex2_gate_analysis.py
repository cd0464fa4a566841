"""Plausible wrong solutions of exercise 2, as edits of the source solution.

``MUTANTS[name]`` is a list of ``(answer_grade_id, old_snippet, new_snippet)``; every
``old_snippet`` must occur in that answer cell of ``source/``. ``CAUGHT_BY[name]`` is the test
cell meant to catch it (other cells may lose points too).
"""

MUTANTS = {
    # the forget and input gate recordings swapped
    "f_i_swapped": [
        ("record_answer", '(("f", f), ("i", i)', '(("f", i), ("i", f)'),
    ],
    # the gates read [x; h] instead of [h; x]
    "x_h_order": [
        ("record_answer", "hx = np.concatenate([h, X[t]], axis=0)",
         "hx = np.concatenate([X[t], h], axis=0)"),
    ],
    # the unit with the largest *positive* correlation, missing anti-correlated trackers
    "finder_ignores_sign": [
        ("finder_answer", "unit = int(np.argmax(np.abs(r)))", "unit = int(np.argmax(r))"),
    ],
    # no guard for units that never change: 0/0 = NaN wins the argmax
    "finder_nan_for_constant_unit": [
        ("finder_answer",
         "r = np.zeros(A.shape[1])\n    ok = den > 1e-12\n    r[ok] = num[ok] / den[ok]",
         "r = num / den"),
    ],
    # the weakest (signal, state) pair handed in: min instead of max
    "tracker_weakest_pair": [
        ("tracker_answer", "signal, state = max(found, key=lambda k: abs(found[k][1]))",
         "signal, state = min(found, key=lambda k: abs(found[k][1]))"),
    ],
    # the country finder keeps the unlabelled characters (−1) as if they were a country
    "country_finder_keeps_unlabelled": [
        ("country_finder_answer", "keep = labels >= 0", "keep = labels >= -1"),
    ],
    # eta² handed back instead of eta
    "country_finder_eta_squared": [
        ("country_finder_answer", "eta[ok] = np.sqrt(between[ok] / total[ok])",
         "eta[ok] = between[ok] / total[ok]"),
    ],
    # the country unit searched in h only, where the memory is a squashed, gated copy
    "country_unit_from_h_only": [
        ("country_unit_answer", 'for state in ("C", "h"):', 'for state in ("h",):'),
    ],
    # left and right saturation swapped
    "saturation_swapped": [
        ("saturation_answer",
         "return (gate < low).mean(axis=(0, 2)), (gate > high).mean(axis=(0, 2))",
         "return (gate > high).mean(axis=(0, 2)), (gate < low).mean(axis=(0, 2))"),
    ],
}

CAUGHT_BY = {
    "f_i_swapped": "test_record",
    "x_h_order": "test_record",
    "finder_ignores_sign": "test_find_unit",
    "finder_nan_for_constant_unit": "test_find_unit",
    "tracker_weakest_pair": "test_tracker",
    "saturation_swapped": "test_saturation",
    "country_finder_keeps_unlabelled": "test_find_country_unit",
    "country_finder_eta_squared": "test_find_country_unit",
    "country_unit_from_h_only": "test_country_unit",
}
