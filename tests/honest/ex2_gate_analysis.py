"""Honest, differently written answers to exercise 2's functions (see
``ex1_lstm_from_scratch.py`` for how the corpus is used)."""

from __future__ import annotations

RECORD = {
    "preallocated": '''
def record_gates(X, h0, C0, p):
    sig = lambda z: 0.5 * (1.0 + np.tanh(0.5 * z))
    T, _, B = X.shape
    out = {k: np.zeros((T, h0.shape[0], B)) for k in "fioCh"}
    h, C = h0, C0
    for t in range(T):
        hx = np.concatenate([h, X[t]])
        f, i, o = (sig(p["W" + g] @ hx + p["b" + g]) for g in "fio")
        C = f * C + i * np.tanh(p["WC"] @ hx + p["bC"])
        h = o * np.tanh(C)
        for k, v in zip("fioCh", (f, i, o, C, h)):
            out[k][t] = v
    return out
''',
    "lists_then_stack": '''
def record_gates(X, h0, C0, p):
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))
    lists = {k: [] for k in ("f", "i", "o", "C", "h")}
    h, C = h0.copy(), C0.copy()
    for x in X:
        hx = np.vstack([h, x])
        f = sigmoid(p["Wf"] @ hx + p["bf"])
        i = sigmoid(p["Wi"] @ hx + p["bi"])
        o = sigmoid(p["Wo"] @ hx + p["bo"])
        C = f * C + i * np.tanh(p["WC"] @ hx + p["bC"])
        h = o * np.tanh(C)
        for k, v in (("f", f), ("i", i), ("o", o), ("C", C), ("h", h)):
            lists[k].append(v)
    return {k: np.stack(v) for k, v in lists.items()}
''',
    "fused_with_extra_keys": '''
def record_gates(X, h0, C0, p):
    H = h0.shape[0]
    W = np.concatenate([p["Wf"], p["Wi"], p["Wo"], p["WC"]])
    b = np.concatenate([p["bf"], p["bi"], p["bo"], p["bC"]])
    rec = {"f": [], "i": [], "o": [], "C": [], "h": [], "candidate": []}
    h, C = h0, C0
    for t in range(X.shape[0]):
        a = W @ np.concatenate([h, X[t]]) + b
        g = 1.0 / (1.0 + np.exp(-a[:3 * H]))
        f, i, o = g[:H], g[H:2 * H], g[2 * H:]
        cand = np.tanh(a[3 * H:])
        C = f * C + i * cand
        h = o * np.tanh(C)
        for k, v in zip(("f", "i", "o", "C", "h", "candidate"), (f, i, o, C, h, cand)):
            rec[k].append(v)
    return {k: np.array(v) for k, v in rec.items()}
''',
    "split_matmul_float32_inputs_kept": '''
def record_gates(X, h0, C0, p):
    H = h0.shape[0]
    T, D, B = X.shape
    f_all, i_all, o_all = (np.empty((T, H, B)) for _ in range(3))
    C_all, h_all = np.empty((T, H, B)), np.empty((T, H, B))
    h, C = h0, C0
    for t in range(T):
        pre = {g: p["W" + g][:, :H] @ h + p["W" + g][:, H:] @ X[t] + p["b" + g] for g in "fioC"}
        f_all[t] = f = np.exp(-np.logaddexp(0, -pre["f"]))
        i_all[t] = i = np.exp(-np.logaddexp(0, -pre["i"]))
        o_all[t] = o = np.exp(-np.logaddexp(0, -pre["o"]))
        C = f * C + i * np.tanh(pre["C"])
        h = o * np.tanh(C)
        C_all[t], h_all[t] = C, h
    return dict(f=f_all, i=i_all, o=o_all, C=C_all, h=h_all)
''',
}

FINDER = {
    "manual_pearson": '''
def find_tracking_unit(acts, signal):
    A = acts - acts.mean(axis=0)
    s = signal - signal.mean()
    den = np.sqrt((A ** 2).sum(0) * (s ** 2).sum())
    r = np.where(den > 0, (s @ A) / np.where(den > 0, den, 1), 0.0)
    u = int(np.argmax(np.abs(r)))
    return u, r[u]
''',
    "corrcoef_nan_to_num": '''
def find_tracking_unit(acts, signal):
    r = np.array([np.corrcoef(acts[:, k], signal)[0, 1] for k in range(acts.shape[1])])
    r = np.nan_to_num(r)  # a constant unit: 0/0 -> 0
    best = np.abs(r).argmax()
    return best, float(r[best])
''',
    "std_loop": '''
def find_tracking_unit(acts, signal):
    best, best_r = 0, 0.0
    s = (signal - signal.mean()) / signal.std()
    for k in range(acts.shape[1]):
        a = acts[:, k]
        if a.std() == 0:
            r = 0.0
        else:
            r = float(np.mean((a - a.mean()) / a.std() * s))
        if abs(r) > abs(best_r):
            best, best_r = k, r
    return (best, best_r)
''',
    "array_pair": '''
def find_tracking_unit(acts, signal):
    z = (acts - acts.mean(0)) / np.where(acts.std(0) > 0, acts.std(0), np.inf)
    zs = (signal - signal.mean()) / signal.std()
    r = z.T @ zs / len(signal)
    k = np.argmax(abs(r))
    return np.array([k, r[k]])  # unit and correlation as one array
''',
}

COUNTRY = {
    "between_over_total": '''
def find_country_unit(acts, labels):
    keep = labels >= 0
    A, y = acts[keep], labels[keep]
    A = A - A.mean(axis=0)
    between = sum((y == k).sum() * A[y == k].mean(axis=0) ** 2 for k in np.unique(y))
    total = (A ** 2).sum(axis=0)
    eta = np.sqrt(np.divide(between, total, out=np.zeros_like(total), where=total > 0))
    u = int(eta.argmax())
    return u, eta[u]
''',
    "variance_of_means": '''
def find_country_unit(acts, labels):
    mask = labels != -1
    a, lab = acts[mask], labels[mask]
    cats = np.unique(lab)
    means = np.stack([a[lab == c].mean(axis=0) for c in cats])
    counts = np.array([(lab == c).sum() for c in cats])
    var_between = (counts[:, None] * (means - a.mean(axis=0)) ** 2).sum(0) / len(lab)
    var_total = a.var(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        eta = np.sqrt(var_between / var_total)
    eta[~np.isfinite(eta)] = 0
    best = np.argmax(eta)
    return best, eta[best]
''',
    "one_minus_within": '''
def find_country_unit(acts, labels):
    keep = labels >= 0
    A, y = acts[keep], labels[keep]
    total = ((A - A.mean(0)) ** 2).sum(0)
    within = np.zeros(A.shape[1])
    for c in set(y.tolist()):
        Ac = A[y == c]
        within += ((Ac - Ac.mean(0)) ** 2).sum(0)
    eta = np.zeros(A.shape[1])
    ok = total > 1e-12
    eta[ok] = np.sqrt(np.clip(1 - within[ok] / total[ok], 0, None))
    return int(np.argmax(eta)), float(eta.max())
''',
    "unit_loop_list": '''
def find_country_unit(acts, labels):
    idx = np.flatnonzero(labels >= 0)
    best = (0, 0.0)
    for u in range(acts.shape[1]):
        a = acts[idx, u]
        y = labels[idx]
        ss_tot = float(np.sum((a - a.mean()) ** 2))
        if ss_tot == 0:
            continue
        ss_b = sum(len(a[y == k]) * (a[y == k].mean() - a.mean()) ** 2 for k in np.unique(y))
        eta = (ss_b / ss_tot) ** 0.5
        if eta > best[1]:
            best = (u, eta)
    return list(best)
''',
}

SATURATION = {
    "mean_axes": '''
def saturation_stats(gate, low=0.1, high=0.9):
    return (gate < low).mean(axis=(0, 2)), (gate > high).mean(axis=(0, 2))
''',
    "counts": '''
def saturation_stats(gate, low=0.1, high=0.9):
    T, H, B = gate.shape
    left = np.sum(gate < low, axis=(0, 2)) / (T * B)
    right = np.count_nonzero(gate > high, axis=(0, 2)) / (T * B)
    return left, right
''',
    "reshape_units_last": '''
def saturation_stats(gate, low=0.1, high=0.9):
    g = gate.transpose(0, 2, 1).reshape(-1, gate.shape[1])  # (T*B, H)
    return np.mean(g < low, axis=0), np.mean(g > high, axis=0)
''',
    "stacked_array": '''
def saturation_stats(gate, low=0.1, high=0.9):
    left = np.array([(gate[:, u, :] < low).mean() for u in range(gate.shape[1])])
    right = np.array([(gate[:, u, :] > high).mean() for u in range(gate.shape[1])])
    return np.stack([left, right])  # row 0 left, row 1 right
''',
}

FAMILIES = {"record": RECORD, "finder": FINDER, "country": COUNTRY, "saturation": SATURATION}


def _students(n: int) -> dict[str, dict[str, str]]:
    """Student k takes entry k of the first family, k // 4 + k of the next, ...: every
    combination distinct, every entry used."""
    return {f"student{k:02d}": {fam: list(entries)[(k + j * (k // 4)) % len(entries)]
                                for j, (fam, entries) in enumerate(FAMILIES.items())}
            for k in range(n)}


STUDENTS = _students(16)


def source_of(student: str) -> str:
    choice = STUDENTS[student]
    return "\n".join(FAMILIES[fam][choice[fam]] for fam in FAMILIES)
