"""Honest, differently written answers to exercise 4's generator and gradient-flow probe (see
``ex1_lstm_from_scratch.py`` for how the corpus is used)."""

from __future__ import annotations

GENERATOR = {
    "vectorised": '''
def temporal_order(T, batch, rng):
    ids = rng.integers(0, 4, size=(T, batch))
    ids[0], ids[-1] = 4, 5
    cols = np.arange(batch)
    t1 = rng.integers(round(0.1 * T), round(0.2 * T) + 1, size=batch)
    t2 = rng.integers(round(0.5 * T), round(0.6 * T) + 1, size=batch)
    a, b = rng.integers(0, 2, size=batch), rng.integers(0, 2, size=batch)
    ids[t1, cols], ids[t2, cols] = 6 + a, 6 + b
    X = np.zeros((T, 8, batch))
    X[np.arange(T)[:, None], ids, cols[None, :]] = 1.0
    return X, 2 * a + b
''',
    "column_loop_choice": '''
def temporal_order(T, batch, rng):
    X = np.zeros((T, 8, batch))
    y = np.zeros(batch, dtype=int)
    for b in range(batch):
        seq = list(rng.choice(4, size=T))
        seq[0], seq[-1] = 4, 5
        t1 = rng.integers(int(round(0.1 * T)), int(round(0.2 * T)) + 1)
        t2 = rng.integers(int(round(0.5 * T)), int(round(0.6 * T)) + 1)
        s1, s2 = rng.choice(["X", "Y"]), rng.choice(["X", "Y"])
        seq[t1] = "abcdBEXY".index(s1)
        seq[t2] = "abcdBEXY".index(s2)
        for t, k in enumerate(seq):
            X[t, k, b] = 1
        y[b] = {"XX": 0, "XY": 1, "YX": 2, "YY": 3}[s1 + s2]
    return X, y
''',
    "eye_and_random_floats": '''
def temporal_order(T, batch, rng):
    lo1, hi1 = round(T / 10), round(T / 5)
    lo2, hi2 = round(T / 2), round(0.6 * T)
    ids = np.floor(rng.random((T, batch)) * 4).astype(int)
    ids[0, :] = 4
    ids[T - 1, :] = 5
    p1 = lo1 + np.floor(rng.random(batch) * (hi1 - lo1 + 1)).astype(int)
    p2 = lo2 + np.floor(rng.random(batch) * (hi2 - lo2 + 1)).astype(int)
    first_y = rng.random(batch) < 0.5
    second_y = rng.random(batch) < 0.5
    ids[p1, np.arange(batch)] = np.where(first_y, 7, 6)
    ids[p2, np.arange(batch)] = np.where(second_y, 7, 6)
    X = np.eye(8)[ids].transpose(0, 2, 1)  # (T, 8, batch)
    return X, (2 * first_y + second_y).astype(int)
''',
    "permutation_int_onehot": '''
def temporal_order(T, batch, rng):
    windows = (np.arange(round(0.1 * T), round(0.2 * T) + 1),
               np.arange(round(0.5 * T), round(0.6 * T) + 1))
    ids = rng.integers(4, size=(batch, T))
    ids[:, 0], ids[:, -1] = 4, 5
    labels = np.zeros(batch, dtype=np.int64)
    for b in range(batch):
        bits = []
        for w in windows:
            t = rng.permutation(w)[0]
            bit = int(rng.integers(2))
            ids[b, t] = 6 + bit
            bits.append(bit)
        labels[b] = 2 * bits[0] + bits[1]
    X = np.zeros((T, 8, batch), dtype=np.int8)
    for b in range(batch):
        X[np.arange(T), ids[b], b] = 1
    return X, labels
''',
}

FLOW = {
    "norm_mean": '''
def gradient_flow(cell, p, X):
    spec = get_cell(cell)
    T, _, B = X.shape
    H = (p["bf"] if cell == "lstm" else p["bh"]).shape[0]
    hs, _, cache = spec.forward(X, zero_state(spec, H, B, X.dtype), p)
    dhs = np.zeros_like(hs)
    dhs[-1] = 1.0
    dX, _, _ = spec.backward(dhs, cache, None)
    return np.linalg.norm(dX, axis=1).mean(axis=1)
''',
    "sqrt_sum_loop": '''
def gradient_flow(cell, p, X):
    spec = get_cell(cell)
    T, D, B = X.shape
    H = p["Wy"].shape[1] if "Wy" in p else next(v for k, v in p.items() if k[0] == "b").shape[0]
    state = zero_state(spec, H, B, X.dtype)
    hs, final, cache = spec.forward(X, state, p)
    dhs = np.zeros((T, H, B))
    dhs[T - 1, :, :] = 1
    dX = spec.backward(dhs, cache, None)[0]
    out = np.zeros(T)
    for t in range(T):
        out[t] = np.mean([np.sqrt(np.sum(dX[t, :, b] ** 2)) for b in range(B)])
    return out
''',
    "final_state_gradient": '''
def gradient_flow(cell, p, X):
    spec = get_cell(cell)
    B = X.shape[2]
    H = p["bh" if cell == "rnn" else "bf"].shape[0]
    hs, final, cache = spec.forward(X, zero_state(spec, H, B, X.dtype), p)
    dhs = np.zeros_like(hs)
    dhs[-1] += 1
    grads = spec.backward(dhs, cache, None)
    dX = grads[0]
    return np.sqrt(np.einsum("tdb,tdb->tb", dX, dX)).mean(-1)
''',
    "list_of_norms": '''
def gradient_flow(cell, p, X):
    spec = get_cell(cell)
    T, _, B = X.shape
    H = p["bf"].shape[0] if cell == "lstm" else p["bh"].shape[0]
    hs, _, cache = spec.forward(X, zero_state(spec, H, B, X.dtype), p)
    dhs = np.zeros(hs.shape)
    dhs[T - 1] = np.ones((H, B))
    dX, _, _ = spec.backward(dhs, cache, None)
    return [float(np.linalg.norm(dX[t], axis=0).mean()) for t in range(T)]
''',
}

FAMILIES = {"generator": GENERATOR, "flow": FLOW}


def _students(n: int) -> dict[str, dict[str, str]]:
    """All 4 x 4 combinations."""
    return {f"student{k:02d}": {"generator": list(GENERATOR)[k % 4],
                                "flow": list(FLOW)[(k // 4) % 4]} for k in range(n)}


STUDENTS = _students(16)


def source_of(student: str) -> str:
    choice = STUDENTS[student]
    return "\n".join(FAMILIES[fam][choice[fam]] for fam in FAMILIES)
