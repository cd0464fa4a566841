"""Honest, differently written answers to exercise 1, as a student might write them.

Each entry of a family is the source of one answer, written independently of the reference
and of the notebook's solution: split or clipped or tanh sigmoids, fused or per-gate or per-column
steps, tuple or dict caches, in-place updates of the student's own arrays and of the gradients
they are given (which the notebook allows), loops or einsum, lists or tuples. :data:`STUDENTS`
combines them into complete, distinct solutions; every one must get full points.
"""

from __future__ import annotations

SIGMOID = {
    "tanh": '''
def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))
''',
    "split_masks": '''
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out
''',
    "split_where_both_branches": '''
def sigmoid(z):
    # both branches are computed: exp overflows in the unused one (NumPy warns), where() picks
    # the finite one
    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))
''',
    "clipped_exp": '''
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))
''',
    "naive_exp_warns": '''
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))
''',
    "logaddexp": '''
def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))
''',
    "print_and_loop": '''
import math

def sigmoid(z):
    print("sigmoid called on", np.shape(z))
    flat = np.asarray(z, dtype=float).ravel()
    out = np.array([1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))
                    for v in flat])
    return out.reshape(np.shape(z))
''',
    "clipped_at_30": '''
def sigmoid(z):
    z = np.clip(z, -30.0, 30.0)
    return 1.0 / (1.0 + np.exp(-z))
''',
}

#: (lstm_step_forward, lstm_step_backward) pairs: each backward reads its own forward's cache
STEP = {
    "per_gate_dict_cache": '''
def lstm_step_forward(x, h_prev, C_prev, p):
    hx = np.concatenate([h_prev, x], axis=0)
    f = sigmoid(p["Wf"] @ hx + p["bf"])
    i = sigmoid(p["Wi"] @ hx + p["bi"])
    Ct = np.tanh(p["WC"] @ hx + p["bC"])
    C = f * C_prev + i * Ct
    o = sigmoid(p["Wo"] @ hx + p["bo"])
    h = o * np.tanh(C)
    return h, C, dict(hx=hx, C_prev=C_prev, f=f, i=i, Ct=Ct, o=o, C=C, p=p)


def lstm_step_backward(dh, dC_next, cache):
    c = cache
    tC = np.tanh(c["C"])
    dC = dh * c["o"] * (1 - tC ** 2) + dC_next
    dzo = dh * tC * c["o"] * (1 - c["o"])
    dzf = dC * c["C_prev"] * c["f"] * (1 - c["f"])
    dzi = dC * c["Ct"] * c["i"] * (1 - c["i"])
    dzC = dC * c["i"] * (1 - c["Ct"] ** 2)
    p, hx = c["p"], c["hx"]
    grads = {"Wf": dzf @ hx.T, "Wi": dzi @ hx.T, "WC": dzC @ hx.T, "Wo": dzo @ hx.T,
             "bf": dzf.sum(1, keepdims=True), "bi": dzi.sum(1, keepdims=True),
             "bC": dzC.sum(1, keepdims=True), "bo": dzo.sum(1, keepdims=True)}
    dhx = p["Wf"].T @ dzf + p["Wi"].T @ dzi + p["WC"].T @ dzC + p["Wo"].T @ dzo
    H = dh.shape[0]
    return dhx[H:], dhx[:H], dC * c["f"], grads
''',
    "fused_split": '''
def lstm_step_forward(x, h_prev, C_prev, p):
    H = h_prev.shape[0]
    W = np.vstack([p["Wf"], p["Wi"], p["WC"], p["Wo"]])
    b = np.vstack([p["bf"], p["bi"], p["bC"], p["bo"]])
    hx = np.vstack([h_prev, x])
    a = W @ hx
    a += b  # in place on my own array
    zf, zi, zC, zo = np.split(a, 4, axis=0)
    f, i, o = sigmoid(zf), sigmoid(zi), sigmoid(zo)
    Ct = np.tanh(zC)
    C = f * C_prev
    C += i * Ct  # C is a new array: C_prev is untouched
    tC = np.tanh(C)
    return o * tC, C, (hx, W, C_prev, f, i, Ct, o, tC, H)


def lstm_step_backward(dh, dC_next, cache):
    hx, W, C_prev, f, i, Ct, o, tC, H = cache
    dC = dh * o * (1.0 - tC * tC) + dC_next
    dA = np.concatenate([dC * C_prev * f * (1 - f), dC * Ct * i * (1 - i),
                         dC * i * (1 - Ct * Ct), dh * tC * o * (1 - o)], axis=0)
    dW = dA @ hx.T
    db = dA.sum(axis=1, keepdims=True)
    grads = {}
    for k, g in enumerate("fiCo"):
        grads["W" + g] = dW[k * H:(k + 1) * H]
        grads["b" + g] = db[k * H:(k + 1) * H]
    dhx = W.T @ dA
    return dhx[H:], dhx[:H], f * dC, grads
''',
    "split_matmul_no_concat": '''
def lstm_step_forward(x, h_prev, C_prev, p):
    H = h_prev.shape[0]
    pre = {}
    for g in ("f", "i", "C", "o"):
        W = p["W" + g]
        pre[g] = np.dot(W[:, :H], h_prev) + np.dot(W[:, H:], x) + p["b" + g]
    f, i, o = sigmoid(pre["f"]), sigmoid(pre["i"]), sigmoid(pre["o"])
    g_ = np.tanh(pre["C"])
    C = f * C_prev + i * g_
    h = o * np.tanh(C)
    return h, C, (x, h_prev, C_prev, p, f, i, g_, o, C)


def lstm_step_backward(dh, dC_next, cache):
    x, h_prev, C_prev, p, f, i, g_, o, C = cache
    H = h_prev.shape[0]
    t = np.tanh(C)
    dC = dC_next + dh * o * (1 - t ** 2)
    dz = {"f": dC * C_prev * f * (1 - f), "i": dC * g_ * i * (1 - i),
          "C": dC * i * (1 - g_ ** 2), "o": dh * t * o * (1 - o)}
    grads, dx, dh_prev = {}, np.zeros_like(x), np.zeros_like(h_prev)
    for g, d in dz.items():
        grads["W" + g] = np.hstack([d @ h_prev.T, d @ x.T])
        grads["b" + g] = np.sum(d, axis=1).reshape(-1, 1)
        dh_prev += p["W" + g][:, :H].T @ d
        dx += p["W" + g][:, H:].T @ d
    return dx, dh_prev, dC * f, grads
''',
    "gradient_inputs_changed_in_place": '''
def lstm_step_forward(x, h_prev, C_prev, p):
    hx = np.concatenate((h_prev, x))
    f = sigmoid(np.matmul(p["Wf"], hx) + p["bf"])
    i = sigmoid(np.matmul(p["Wi"], hx) + p["bi"])
    o = sigmoid(np.matmul(p["Wo"], hx) + p["bo"])
    c = np.tanh(np.matmul(p["WC"], hx) + p["bC"])
    C = f * C_prev + i * c
    th = np.tanh(C)
    return o * th, C, [hx, C_prev, f, i, c, o, th, p]


def lstm_step_backward(dh, dC_next, cache):
    hx, C_prev, f, i, c, o, th, p = cache
    H = C_prev.shape[0]
    dC = dC_next
    dC += dh * o * (1 - th ** 2)  # changes the dC_next it was given: allowed
    do = dh
    do *= th  # changes dh: allowed (dh is not needed afterwards)
    dzo = do * o * (1 - o)
    dzf = dC * C_prev * f * (1 - f)
    dzi = dC * c * i * (1 - i)
    dzc = dC * i * (1 - c ** 2)
    grads = {}
    dhx = 0
    for g, d in zip("fiCo", (dzf, dzi, dzc, dzo)):
        grads["W" + g] = d.dot(hx.T)
        grads["b" + g] = d.sum(axis=-1)[:, None]
        dhx = dhx + p["W" + g].T.dot(d)
    return dhx[H:], dhx[:H], dC * f, grads
''',
    "column_by_column": '''
def lstm_step_forward(x, h_prev, C_prev, p):
    H, B = h_prev.shape
    h, C = np.zeros((H, B)), np.zeros((H, B))
    cols = []
    for b in range(B):
        hx = np.concatenate([h_prev[:, b:b + 1], x[:, b:b + 1]])
        f = sigmoid(p["Wf"] @ hx + p["bf"])
        i = sigmoid(p["Wi"] @ hx + p["bi"])
        Ct = np.tanh(p["WC"] @ hx + p["bC"])
        c = f * C_prev[:, b:b + 1] + i * Ct
        o = sigmoid(p["Wo"] @ hx + p["bo"])
        C[:, b:b + 1] = c
        h[:, b:b + 1] = o * np.tanh(c)
        cols.append((hx, C_prev[:, b:b + 1].copy(), f, i, Ct, o, c))
    return h, C, {"cols": cols, "p": p}


def lstm_step_backward(dh, dC_next, cache):
    p = cache["p"]
    H = dh.shape[0]
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    dxs, dhs, dcs = [], [], []
    for b, (hx, Cp, f, i, Ct, o, c) in enumerate(cache["cols"]):
        t = np.tanh(c)
        d_h = dh[:, b:b + 1]
        dC = d_h * o * (1 - t ** 2) + dC_next[:, b:b + 1]
        dz = {"f": dC * Cp * f * (1 - f), "i": dC * Ct * i * (1 - i),
              "C": dC * i * (1 - Ct ** 2), "o": d_h * t * o * (1 - o)}
        dhx = np.zeros_like(hx)
        for g in "fiCo":
            grads["W" + g] += dz[g] @ hx.T
            grads["b" + g] += dz[g]
            dhx += p["W" + g].T @ dz[g]
        dhs.append(dhx[:H])
        dxs.append(dhx[H:])
        dcs.append(dC * f)
    return np.hstack(dxs), np.hstack(dhs), np.hstack(dcs), grads
''',
    "einsum": '''
def lstm_step_forward(x, h_prev, C_prev, p):
    hx = np.concatenate([h_prev, x], 0)
    z = {g: np.einsum("ij,jb->ib", p["W" + g], hx) + p["b" + g] for g in "fiCo"}
    f, i, o = (sigmoid(z[g]) for g in "fio")
    C_hat = np.tanh(z["C"])
    C = np.add(np.multiply(f, C_prev), np.multiply(i, C_hat))
    h = np.multiply(o, np.tanh(C))
    cache = {"hx": hx, "gates": {"f": f, "i": i, "C": C_hat, "o": o}, "C_prev": C_prev,
             "tanhC": np.tanh(C), "W": {g: p["W" + g] for g in "fiCo"}}
    return h, C, cache


def lstm_step_backward(dh, dC_next, cache):
    g = cache["gates"]
    tC = cache["tanhC"]
    dC = dh * g["o"] * (1 - np.square(tC)) + dC_next
    local = {"f": dC * cache["C_prev"], "i": dC * g["C"], "C": dC * g["i"], "o": dh * tC}
    deriv = {"f": g["f"] * (1 - g["f"]), "i": g["i"] * (1 - g["i"]),
             "C": 1 - np.square(g["C"]), "o": g["o"] * (1 - g["o"])}
    grads, dhx = {}, np.zeros_like(cache["hx"])
    for k in "fiCo":
        dz = local[k] * deriv[k]
        grads["W" + k] = np.einsum("ib,jb->ij", dz, cache["hx"])
        grads["b" + k] = np.einsum("ib->i", dz)[:, np.newaxis]
        dhx += np.einsum("ij,ib->jb", cache["W"][k], dz)
    H = dh.shape[0]
    return dhx[H:], dhx[:H], dC * g["f"], grads
''',
    "recompute_in_backward": '''
def lstm_step_forward(x, h_prev, C_prev, p):
    hx = np.concatenate([h_prev, x])
    C = (sigmoid(p["Wf"] @ hx + p["bf"]) * C_prev
         + sigmoid(p["Wi"] @ hx + p["bi"]) * np.tanh(p["WC"] @ hx + p["bC"]))
    h = sigmoid(p["Wo"] @ hx + p["bo"]) * np.tanh(C)
    return h, C, (x, h_prev, C_prev, p)


def lstm_step_backward(dh, dC_next, cache):
    x, h_prev, C_prev, p = cache
    hx = np.concatenate([h_prev, x])
    f = sigmoid(p["Wf"] @ hx + p["bf"])
    i = sigmoid(p["Wi"] @ hx + p["bi"])
    g = np.tanh(p["WC"] @ hx + p["bC"])
    o = sigmoid(p["Wo"] @ hx + p["bo"])
    C = f * C_prev + i * g
    dC = dh * o * (1 - np.tanh(C) ** 2) + dC_next
    dz = [dC * C_prev * f * (1 - f), dC * g * i * (1 - i), dC * i * (1 - g * g),
          dh * np.tanh(C) * o * (1 - o)]
    grads = {}
    dhx = sum(p["W" + n].T @ d for n, d in zip("fiCo", dz))
    for n, d in zip("fiCo", dz):
        grads["W" + n] = d @ hx.T
        grads["b" + n] = d.sum(axis=1, keepdims=True)
    H = h_prev.shape[0]
    return dhx[H:], dhx[:H], dC * f, grads
''',
}

FORWARD = {
    "append_stack": '''
def lstm_forward(X, h0, C0, p):
    h, C, hs, caches = h0, C0, [], []
    for t in range(X.shape[0]):
        h, C, cache = lstm_step_forward(X[t], h, C, p)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs), (h, C), caches
''',
    "preallocated": '''
def lstm_forward(X, h0, C0, p):
    T = X.shape[0]
    H, B = h0.shape
    hs = np.zeros((T, H, B))
    caches = [None] * T
    h, C = h0.copy(), C0.copy()
    for t in range(T):
        h, C, caches[t] = lstm_step_forward(X[t], h, C, p)
        hs[t] = h
    return hs, (h, C), caches
''',
    "iterate_and_list_state": '''
def lstm_forward(X, h0, C0, p):
    state = [h0, C0]
    outs, cache = [], []
    for x in X:
        h, C, c = lstm_step_forward(x, state[0], state[1], p)
        state = [h, C]
        outs.append(h)
        cache.append(c)
    return np.array(outs), state, tuple(cache)
''',
    "while_loop_print": '''
def lstm_forward(X, h0, C0, p):
    t, h, C = 0, h0, C0
    hs, caches = [], []
    while t < len(X):
        h, C, cache = lstm_step_forward(X[t], h, C, p)
        hs.append(h.copy())
        caches.append(cache)
        t += 1
    print(f"ran {t} steps")
    return np.asarray(hs), (h, C), caches
''',
}

BACKWARD = {
    "sum_dict": '''
def lstm_backward(dhs, cache, dh_T=None, dC_T=None):
    T = dhs.shape[0]
    dh = np.zeros_like(dhs[0]) if dh_T is None else dh_T
    dC = np.zeros_like(dhs[0]) if dC_T is None else dC_T
    grads, dX = {}, [None] * T
    for t in reversed(range(T)):
        dX[t], dh, dC, g = lstm_step_backward(dhs[t] + dh, dC, cache[t])
        for k in g:
            grads[k] = grads.get(k, 0) + g[k]
    return np.stack(dX), (dh, dC), grads
''',
    "dhs_in_place_on_own_copy": '''
def lstm_backward(dhs, cache, dh_T=None, dC_T=None):
    dhs = dhs.copy()
    T = len(dhs)
    if dh_T is not None:
        dhs[T - 1] += dh_T
    dC = np.zeros_like(dhs[0]) if dC_T is None else dC_T.copy()
    grads, dX = None, []
    for t in range(T - 1, -1, -1):
        dx, dh_prev, dC, g = lstm_step_backward(dhs[t], dC, cache[t])
        if t > 0:
            dhs[t - 1] += dh_prev
        dX.insert(0, dx)
        grads = g if grads is None else {k: grads[k] + g[k] for k in grads}
    return np.array(dX), (dh_prev, dC), grads
''',
    "dhs_in_place_on_the_input": '''
def lstm_backward(dhs, cache, dh_T=None, dC_T=None):
    T = dhs.shape[0]
    if dh_T is not None:
        dhs[-1] += dh_T  # in place on the argument: the notebook does not forbid it
    dC = 0 * dhs[0] if dC_T is None else dC_T
    dX = None
    grads = {}
    for t in range(T - 1, -1, -1):
        dx, dh_prev, dC, g = lstm_step_backward(dhs[t], dC, cache[t])
        if dX is None:
            dX = np.zeros((T,) + dx.shape)
        dX[t] = dx
        if t:
            dhs[t - 1] += dh_prev
        for k, v in g.items():
            if k in grads:
                grads[k] += v
            else:
                grads[k] = v.copy()
    return dX, [dh_prev, dC], grads
''',
    "zeros_like_params": '''
def lstm_backward(dhs, cache, dh_T=None, dC_T=None):
    T, H, B = dhs.shape
    if dh_T is None:
        dh_T = np.zeros((H, B))
    if dC_T is None:
        dC_T = np.zeros((H, B))
    dh_next, dC_next = dh_T, dC_T
    dXs, total = [], None
    for step in range(T):
        t = T - 1 - step
        dx, dh_next, dC_next, g = lstm_step_backward(dhs[t] + dh_next, dC_next, cache[t])
        dXs.append(dx)
        if total is None:
            total = {k: np.zeros_like(v) for k, v in g.items()}
        for k in total:
            total[k] += g[k]
    return np.stack(dXs[::-1]), (dh_next, dC_next), total
''',
    "dX_as_a_list": '''
def lstm_backward(dhs, cache, dh_T=None, dC_T=None):
    T = len(cache)
    dh_next = np.zeros(dhs[0].shape) if dh_T is None else dh_T
    dC_next = np.zeros(dhs[0].shape) if dC_T is None else dC_T
    grads = {}
    dX = [None] * T  # returned as a list of the T arrays (D, B)
    for t in range(T - 1, -1, -1):
        dX[t], dh_next, dC_next, g = lstm_step_backward(dhs[t] + dh_next, dC_next, cache[t])
        grads = {k: grads.get(k, 0.0) + v for k, v in g.items()}
    return dX, (dh_next, dC_next), grads
''',
}

SOFTMAX = {
    "max_shift": '''
def softmax_cross_entropy(logits, targets):
    z = logits - logits.max(axis=0, keepdims=True)
    e = np.exp(z)
    P = e / e.sum(axis=0, keepdims=True)
    N = len(targets)
    loss = -np.log(P[targets, np.arange(N)]).mean()
    P[targets, np.arange(N)] -= 1
    return float(loss), P / N
''',
    "logaddexp_reduce": '''
def softmax_cross_entropy(logits, targets):
    lse = np.logaddexp.reduce(logits, axis=0)  # log Σ exp, without scipy
    logp = logits - lse
    N = logits.shape[1]
    loss = -logp[targets, range(N)].sum() / N
    d = np.exp(logp)
    d[targets, range(N)] -= 1.0
    return loss, d / N
''',
    "shift_logits_in_place": '''
def softmax_cross_entropy(logits, targets):
    logits -= logits.max(axis=0)  # changes the argument: allowed here
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=0)
    N = targets.size
    picked = np.take_along_axis(logits, targets[None, :], axis=0)
    loss = np.mean(-np.log(picked))
    onehot = np.zeros_like(logits)
    onehot[targets, np.arange(N)] = 1
    return loss, (logits - onehot) / N
''',
    "column_loop_numpy_scalar": '''
def softmax_cross_entropy(logits, targets):
    V, N = logits.shape
    loss = np.float64(0.0)
    d = np.zeros((V, N))
    for n in range(N):
        col = logits[:, n] - np.max(logits[:, n])
        prob = np.exp(col) / np.sum(np.exp(col))
        loss += -np.log(prob[targets[n]])
        d[:, n] = prob
        d[targets[n], n] -= 1
    return loss / N, d / N
''',
    "epsilon_and_array_loss": '''
def softmax_cross_entropy(logits, targets):
    shifted = logits - np.amax(logits, axis=0)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=0)
    N = targets.shape[0]
    onehot = np.eye(logits.shape[0])[:, targets]
    loss = -np.sum(onehot * np.log(probs + 1e-12), keepdims=True) / N  # an array of one number
    return loss.reshape(1), (probs - onehot) / N
''',
}

CLIP = {
    "comprehension": '''
def clip_gradients(grads, max_value=5.0):
    return {k: np.clip(v, -max_value, max_value) for k, v in grads.items()}
''',
    "in_place_out": '''
def clip_gradients(grads, max_value=5.0):
    for v in grads.values():
        np.clip(v, -max_value, max_value, out=v)
    return grads
''',
    "minimum_maximum": '''
def clip_gradients(grads, max_value=5.0):
    out = {}
    for name in grads:
        out[name] = np.minimum(np.maximum(grads[name], -max_value), max_value)
    return out
''',
    "where": '''
def clip_gradients(grads, max_value=5.0):
    clipped = dict()
    for k, g in grads.items():
        g = np.where(g > max_value, max_value, g)
        clipped[k] = np.where(g < -max_value, -max_value, g)
    return clipped
''',
}

CHAR_LOSS = {
    "einsum_flat": '''
def char_loss(p, inputs, targets, h0, C0):
    T, B = inputs.shape
    V = p["Wy"].shape[0]
    X = np.zeros((T, V, B))
    X[np.arange(T)[:, None], inputs, np.arange(B)[None, :]] = 1.0
    hs, final, cache = lstm_forward(X, h0, C0, p)
    logits = np.einsum("vh,thb->tvb", p["Wy"], hs) + p["by"]
    loss, d = softmax_cross_entropy(logits.transpose(1, 0, 2).reshape(V, T * B),
                                    targets.reshape(T * B))
    dlogits = d.reshape(V, T, B).transpose(1, 0, 2)
    _, _, grads = lstm_backward(np.einsum("vh,tvb->thb", p["Wy"], dlogits), cache)
    grads["Wy"] = np.einsum("tvb,thb->vh", dlogits, hs)
    grads["by"] = dlogits.sum(axis=(0, 2)).reshape(V, 1)
    return loss, grads, final
''',
    "per_step_softmax": '''
def char_loss(p, inputs, targets, h0, C0):
    T, B = inputs.shape
    V, H = p["Wy"].shape
    X = np.eye(V)[inputs].transpose(0, 2, 1)  # (T, V, B)
    hs, (hT, CT), cache = lstm_forward(X, h0, C0, p)
    loss = 0.0
    dhs = np.zeros((T, H, B))
    dWy, dby = np.zeros_like(p["Wy"]), np.zeros_like(p["by"])
    for t in range(T):
        lt, dlt = softmax_cross_entropy(p["Wy"] @ hs[t] + p["by"], targets[t])
        loss += float(np.squeeze(lt)) / T
        dlt = dlt / T  # the mean over T·B, not over B
        dWy += dlt @ hs[t].T
        dby += dlt.sum(axis=1, keepdims=True)
        dhs[t] = p["Wy"].T @ dlt
    _, _, grads = lstm_backward(dhs, cache)
    return loss, {**grads, "Wy": dWy, "by": dby}, (hT, CT)
''',
    "columns_matmul": '''
def char_loss(p, inputs, targets, h0, C0):
    T, B = inputs.shape
    V, H = p["Wy"].shape
    X = np.zeros((T, V, B))
    for t in range(T):
        for b in range(B):
            X[t, inputs[t, b], b] = 1
    hs, final, cache = lstm_forward(X, h0, C0, p)
    Hmat = hs.transpose(1, 0, 2).reshape(H, T * B)
    logits = p["Wy"] @ Hmat + p["by"]
    loss, dlog = softmax_cross_entropy(logits, targets.reshape(-1))
    dH = (p["Wy"].T @ dlog).reshape(H, T, B).transpose(1, 0, 2)
    _, _, grads = lstm_backward(np.ascontiguousarray(dH), cache)
    grads["Wy"] = dlog @ Hmat.T
    grads["by"] = dlog.sum(axis=1, keepdims=True)
    return loss, grads, list(final)
''',
}

NUMGRAD = {
    "ndindex": '''
def numerical_gradient(f, x, eps=1e-5):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        keep = x[idx]
        x[idx] = keep + eps
        up = f()
        x[idx] = keep - eps
        down = f()
        x[idx] = keep
        grad[idx] = (up - down) / (2 * eps)
    return grad
''',
    "nditer": '''
def numerical_gradient(f, x, eps=1e-5):
    g = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        old = float(x[i])
        x[i] = old + eps
        fp = f()
        x[i] = old - eps
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2.0 * eps)
        it.iternext()
    return g
''',
    "flat_view_try_finally": '''
def numerical_gradient(f, x, eps=1e-5):
    flat = x.reshape(-1)  # a view: writing it changes x
    out = np.empty(flat.size)
    for k in range(flat.size):
        old = flat[k]
        try:
            flat[k] = old + eps
            a = f()
            flat[k] = old - eps
            b = f()
        finally:
            flat[k] = old
        out[k] = (a - b) / (2 * eps)
    return out.reshape(x.shape)
''',
}

FAMILIES = {"sigmoid": SIGMOID, "step": STEP, "forward": FORWARD, "backward": BACKWARD,
            "softmax": SOFTMAX, "clip": CLIP, "char_loss": CHAR_LOSS, "numgrad": NUMGRAD}


def _students(n: int) -> dict[str, dict[str, str]]:
    """``n`` complete solutions: student k takes entry k (cyclically) of every family, so each
    is a distinct combination and every entry is used."""
    out = {}
    for k in range(n):
        choice = {fam: list(entries)[(k + j) % len(entries)]
                  for j, (fam, entries) in enumerate(FAMILIES.items())}
        name = f"student{k:02d}"
        out[name] = choice
    return out


#: student -> {family: entry name}
STUDENTS = _students(16)


def source_of(student: str) -> str:
    """The code of one student's whole solution (in the notebook's order)."""
    choice = STUDENTS[student]
    return "\n".join(FAMILIES[fam][choice[fam]] for fam in FAMILIES)
