"""A deliberately straightforward char-LM LSTM: the baseline the benchmark compares against.

This is how the LSTM is usually first written when following the equations one gate at a
time, with batch size 1:

* four separate gate matrices Wf, Wi, WC, Wo, each (H, H + V), applied to the column
  ``np.vstack([h, x])`` (hidden first, then input),
* the output layer and the softmax evaluated inside the time loop, one step at a time,
* a step-forward function returning a dict as the cache, and a step-backward function
  returning that step's parameter gradients (one outer product per gate), summed up by the loop.

It computes exactly the same loss and gradients as ``lstm_reference`` (the benchmark's smoke
test checks this); only the organisation of the work differs. It is used for timing only.
"""

from __future__ import annotations

import numpy as np

GATE_NAMES = ("f", "i", "C", "o")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def step_forward(
    x: np.ndarray, h_prev: np.ndarray, C_prev: np.ndarray, p: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """One step, gate by gate. x (V, 1), h_prev and C_prev (H, 1) -> h, C (H, 1), cache."""
    hx = np.vstack([h_prev, x])
    f = _sigmoid(p["Wf"] @ hx + p["bf"])
    i = _sigmoid(p["Wi"] @ hx + p["bi"])
    C_tilde = np.tanh(p["WC"] @ hx + p["bC"])
    C = f * C_prev + i * C_tilde
    o = _sigmoid(p["Wo"] @ hx + p["bo"])
    h = o * np.tanh(C)
    cache = {"hx": hx, "C_prev": C_prev, "f": f, "i": i, "C_tilde": C_tilde, "o": o, "C": C}
    return h, C, cache


def step_backward(
    dh: np.ndarray, dC_next: np.ndarray, cache: dict[str, np.ndarray], p: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Backward through one step: (dh_prev, dC_prev, this step's parameter gradients)."""
    H = dh.shape[0]
    f, i, C_tilde, o = cache["f"], cache["i"], cache["C_tilde"], cache["o"]
    tanh_C = np.tanh(cache["C"])
    do = dh * tanh_C
    dC = dh * o * (1.0 - tanh_C**2) + dC_next
    dpre = {
        "o": do * o * (1.0 - o),
        "f": dC * cache["C_prev"] * f * (1.0 - f),
        "i": dC * C_tilde * i * (1.0 - i),
        "C": dC * i * (1.0 - C_tilde**2),
    }
    grads = {}
    dhx = np.zeros_like(cache["hx"])
    for g in GATE_NAMES:
        grads["W" + g] = dpre[g] @ cache["hx"].T  # an outer product per gate and step
        grads["b" + g] = dpre[g]
        dhx += p["W" + g].T @ dpre[g]
    return dhx[:H], dC * f, grads


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

    # ---- forward, one step at a time, with the output layer and softmax inside the loop
    caches, hs, probs = [], [], []
    loss = 0.0
    for t in range(T):
        x = np.zeros((V, 1), dtype)
        x[inputs[t]] = 1.0
        h, C, cache = step_forward(x, h, C, p)
        y = p["Wy"] @ h + p["by"]
        e = np.exp(y - y.max())
        prob = e / e.sum()
        loss -= float(np.log(prob[targets[t], 0]))
        caches.append(cache)
        hs.append(h)
        probs.append(prob)

    # ---- backward, one step at a time, newest first; per-step gradients are summed up
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    dh_next = np.zeros((H, 1), dtype)
    dC_next = np.zeros((H, 1), dtype)
    for t in reversed(range(T)):
        dy = probs[t].copy()
        dy[targets[t]] -= 1.0
        dy /= T  # the loss is the mean over the T steps
        grads["Wy"] += dy @ hs[t].T
        grads["by"] += dy
        dh = p["Wy"].T @ dy + dh_next
        dh_next, dC_next, step_grads = step_backward(dh, dC_next, caches[t], p)
        for k, v in step_grads.items():
            grads[k] += v
    return loss / T, grads, (h, C)
