"""A deliberately straightforward char-LM LSTM: the baseline the benchmark compares against.

This is how the LSTM is usually first written when following the equations one gate at a
time, with batch size 1:

* four separate gate matrices Wf, Wi, WC, Wo, each (H, H + V), applied to the column
  ``np.vstack([h, x])`` (hidden first, then input),
* the output layer and the softmax evaluated inside the time loop, one step at a time,
* a dict per step as the cache,
* in the backward pass, one outer product per gate and per step for the weight gradients.

It computes exactly the same loss and gradients as ``lstm_reference`` (the benchmark's smoke
test checks this); only the organisation of the work differs. It is used for timing only.
"""

from __future__ import annotations

import numpy as np

GATE_NAMES = ("f", "i", "C", "o")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def naive_char_lm_loss(
    p: dict[str, np.ndarray],
    inputs: np.ndarray,
    targets: np.ndarray,
    h0: np.ndarray | None = None,
    C0: np.ndarray | None = None,
) -> tuple[float, dict[str, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Mean cross-entropy of predicting ``targets`` (T,) from ``inputs`` (T,) and its gradients.

    ``p`` holds Wf, Wi, WC, Wo (H, H + V), bf, bi, bC, bo (H, 1), Wy (V, H), by (V, 1).
    h0, C0 (H, 1) default to zeros. Returns the loss, the gradient of every parameter (same
    keys and shapes) and the final state (h_T, C_T).
    """
    V, H = p["Wy"].shape
    dtype = p["Wy"].dtype
    h = np.zeros((H, 1), dtype) if h0 is None else h0
    C = np.zeros((H, 1), dtype) if C0 is None else C0
    T = len(inputs)

    # ---- forward, one step at a time
    steps = []
    loss = 0.0
    for t in range(T):
        x = np.zeros((V, 1), dtype)
        x[inputs[t]] = 1.0
        hx = np.vstack([h, x])
        f = _sigmoid(p["Wf"] @ hx + p["bf"])
        i = _sigmoid(p["Wi"] @ hx + p["bi"])
        C_tilde = np.tanh(p["WC"] @ hx + p["bC"])
        o = _sigmoid(p["Wo"] @ hx + p["bo"])
        C_prev = C
        C = f * C_prev + i * C_tilde
        tanh_C = np.tanh(C)
        h = o * tanh_C
        y = p["Wy"] @ h + p["by"]
        e = np.exp(y - y.max())
        prob = e / e.sum()
        loss -= float(np.log(prob[targets[t], 0]))
        steps.append(
            {"hx": hx, "f": f, "i": i, "C_tilde": C_tilde, "o": o, "C_prev": C_prev,
             "tanh_C": tanh_C, "h": h, "prob": prob}
        )

    # ---- backward, one step at a time, newest first
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    dh_next = np.zeros((H, 1), dtype)
    dC_next = np.zeros((H, 1), dtype)
    for t in reversed(range(T)):
        s = steps[t]
        dy = s["prob"].copy()
        dy[targets[t]] -= 1.0
        dy /= T  # the loss is the mean over the T steps
        grads["Wy"] += np.outer(dy, s["h"])
        grads["by"] += dy
        dh = p["Wy"].T @ dy + dh_next
        do = dh * s["tanh_C"]
        dC = dh * s["o"] * (1.0 - s["tanh_C"] ** 2) + dC_next
        dpre = {
            "f": dC * s["C_prev"] * s["f"] * (1.0 - s["f"]),
            "i": dC * s["C_tilde"] * s["i"] * (1.0 - s["i"]),
            "C": dC * s["i"] * (1.0 - s["C_tilde"] ** 2),
            "o": do * s["o"] * (1.0 - s["o"]),
        }
        dhx = np.zeros_like(s["hx"])
        for g in GATE_NAMES:
            grads["W" + g] += np.outer(dpre[g], s["hx"])
            grads["b" + g] += dpre[g]
            dhx += p["W" + g].T @ dpre[g]
        dh_next = dhx[:H]
        dC_next = dC * s["f"]
    return loss / T, grads, (h, C)
