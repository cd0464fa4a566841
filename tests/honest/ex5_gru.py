"""Honest, differently written answers to exercise 5's GRU functions and parameter count.

As in ``ex1_lstm_from_scratch.py``: each family entry is one independently written answer;
:data:`STUDENTS` combines them into complete, distinct solutions that must all get full points.
"""

from __future__ import annotations

#: (gru_step_forward, gru_step_backward) pairs: each backward reads its own forward's cache
STEP = {
    "dict_cache": '''
def gru_step_forward(x, h_prev, p):
    hx = np.concatenate([h_prev, x], axis=0)
    z = sigmoid(p["Wz"] @ hx + p["bz"])
    r = sigmoid(p["Wr"] @ hx + p["br"])
    rhx = np.concatenate([r * h_prev, x], axis=0)
    ht = np.tanh(p["Wh"] @ rhx + p["bh"])
    return (1 - z) * h_prev + z * ht, {"hx": hx, "rhx": rhx, "z": z, "r": r, "ht": ht,
                                       "h_prev": h_prev, "p": p}


def gru_step_backward(dh, cache):
    c, p = cache, cache["p"]
    H = c["h_prev"].shape[0]
    dah = dh * c["z"] * (1 - c["ht"] ** 2)
    daz = dh * (c["ht"] - c["h_prev"]) * c["z"] * (1 - c["z"])
    g = p["Wh"].T @ dah
    dar = g[:H] * c["h_prev"] * c["r"] * (1 - c["r"])
    grads = {"Wz": daz @ c["hx"].T, "Wr": dar @ c["hx"].T, "Wh": dah @ c["rhx"].T,
             "bz": daz.sum(1, keepdims=True), "br": dar.sum(1, keepdims=True),
             "bh": dah.sum(1, keepdims=True)}
    rest = p["Wz"].T @ daz + p["Wr"].T @ dar
    return g[H:] + rest[H:], dh * (1 - c["z"]) + g[:H] * c["r"] + rest[:H], grads
''',
    "split_matmul": '''
def gru_step_forward(x, h_prev, p):
    H = h_prev.shape[0]
    def lin(name, h, x_):
        W = p["W" + name]
        return W[:, :H] @ h + W[:, H:] @ x_ + p["b" + name]
    z = sigmoid(lin("z", h_prev, x))
    r = sigmoid(lin("r", h_prev, x))
    cand = np.tanh(lin("h", r * h_prev, x))
    h = h_prev + z * (cand - h_prev)  # the same interpolation, written differently
    return h, (x, h_prev, z, r, cand, p)


def gru_step_backward(dh, cache):
    x, h_prev, z, r, cand, p = cache
    H = h_prev.shape[0]
    d_cand = dh * z * (1 - cand ** 2)
    d_z = dh * (cand - h_prev) * z * (1 - z)
    Wh_h, Wh_x = p["Wh"][:, :H], p["Wh"][:, H:]
    d_rh = Wh_h.T @ d_cand
    d_r = d_rh * h_prev * r * (1 - r)
    grads = {
        "Wz": np.hstack([d_z @ h_prev.T, d_z @ x.T]),
        "Wr": np.hstack([d_r @ h_prev.T, d_r @ x.T]),
        "Wh": np.hstack([d_cand @ (r * h_prev).T, d_cand @ x.T]),
        "bz": d_z.sum(axis=1)[:, None], "br": d_r.sum(axis=1)[:, None],
        "bh": d_cand.sum(axis=1)[:, None],
    }
    dh_prev = (dh * (1 - z) + d_rh * r + p["Wz"][:, :H].T @ d_z + p["Wr"][:, :H].T @ d_r)
    dx = Wh_x.T @ d_cand + p["Wz"][:, H:].T @ d_z + p["Wr"][:, H:].T @ d_r
    return dx, dh_prev, grads
''',
    "fused_gates_dh_in_place": '''
def gru_step_forward(x, h_prev, p):
    H = h_prev.shape[0]
    hx = np.vstack([h_prev, x])
    a = np.vstack([p["Wz"], p["Wr"]]) @ hx + np.vstack([p["bz"], p["br"]])
    g = sigmoid(a)
    z, r = g[:H], g[H:]
    rhx = hx.copy()
    rhx[:H] *= r  # in place on my own copy
    ht = np.tanh(p["Wh"] @ rhx + p["bh"])
    h = (1.0 - z) * h_prev
    h += z * ht
    return h, [hx, rhx, z, r, ht, p, H]


def gru_step_backward(dh, cache):
    hx, rhx, z, r, ht, p, H = cache
    h_prev = hx[:H]
    d_z = dh * (ht - h_prev) * z * (1 - z)
    direct = dh * (1 - z)
    dh *= z  # the gradient I was given, changed in place: allowed; now it is dL/dh~
    dah = dh * (1 - ht * ht)
    drhx = p["Wh"].T @ dah
    d_r = drhx[:H] * h_prev * r * (1 - r)
    dA = np.vstack([d_z, d_r])
    dW = dA @ hx.T
    dhx = np.vstack([p["Wz"], p["Wr"]]).T @ dA
    grads = {"Wz": dW[:H], "Wr": dW[H:], "Wh": dah @ rhx.T,
             "bz": d_z.sum(axis=1, keepdims=True), "br": d_r.sum(axis=1, keepdims=True),
             "bh": dah.sum(axis=1, keepdims=True)}
    return dhx[H:] + drhx[H:], direct + drhx[:H] * r + dhx[:H], grads
''',
    "recompute": '''
def gru_step_forward(x, h_prev, p):
    hx = np.concatenate((h_prev, x))
    z = 1 / (1 + np.exp(-(p["Wz"] @ hx + p["bz"])))
    r = 1 / (1 + np.exp(-(p["Wr"] @ hx + p["br"])))
    ht = np.tanh(p["Wh"] @ np.concatenate((r * h_prev, x)) + p["bh"])
    return z * ht + (1 - z) * h_prev, (x, h_prev, p)


def gru_step_backward(dh, cache):
    x, h_prev, p = cache
    H = h_prev.shape[0]
    hx = np.concatenate((h_prev, x))
    z = 1 / (1 + np.exp(-(p["Wz"] @ hx + p["bz"])))
    r = 1 / (1 + np.exp(-(p["Wr"] @ hx + p["br"])))
    rhx = np.concatenate((r * h_prev, x))
    ht = np.tanh(p["Wh"] @ rhx + p["bh"])
    dah = dh * z * (1 - ht ** 2)
    daz = dh * (ht - h_prev) * z * (1 - z)
    drhx = p["Wh"].T @ dah
    dar = drhx[:H] * h_prev * r * (1 - r)
    dhx = p["Wz"].T @ daz + p["Wr"].T @ dar
    grads = dict(Wz=np.outer(daz[:, 0], hx[:, 0]) if x.shape[1] == 1 else daz @ hx.T,
                 Wr=dar @ hx.T, Wh=dah @ rhx.T, bz=np.sum(daz, 1, keepdims=True),
                 br=np.sum(dar, 1, keepdims=True), bh=np.sum(dah, 1, keepdims=True))
    return dhx[H:] + drhx[H:], dhx[:H] + drhx[:H] * r + dh * (1 - z), grads
''',
    "column_loop": '''
def gru_step_forward(x, h_prev, p):
    H, B = h_prev.shape
    h = np.empty((H, B))
    parts = []
    for b in range(B):
        hp, xb = h_prev[:, [b]], x[:, [b]]
        hx = np.concatenate([hp, xb])
        z = sigmoid(p["Wz"] @ hx + p["bz"])
        r = sigmoid(p["Wr"] @ hx + p["br"])
        rhx = np.concatenate([r * hp, xb])
        ht = np.tanh(p["Wh"] @ rhx + p["bh"])
        h[:, [b]] = (1 - z) * hp + z * ht
        parts.append((hx, rhx, z, r, ht))
    return h, (parts, p)


def gru_step_backward(dh, cache):
    parts, p = cache
    H = dh.shape[0]
    grads = {k: np.zeros(v.shape) for k, v in p.items()}
    dxs, dhps = [], []
    for b, (hx, rhx, z, r, ht) in enumerate(parts):
        d = dh[:, [b]]
        hp = hx[:H]
        dah = d * z * (1 - ht ** 2)
        daz = d * (ht - hp) * z * (1 - z)
        g = p["Wh"].T @ dah
        dar = g[:H] * hp * r * (1 - r)
        grads["Wz"] += daz @ hx.T
        grads["Wr"] += dar @ hx.T
        grads["Wh"] += dah @ rhx.T
        grads["bz"] += daz
        grads["br"] += dar
        grads["bh"] += dah
        rest = p["Wz"].T @ daz + p["Wr"].T @ dar
        dxs.append(g[H:] + rest[H:])
        dhps.append(d * (1 - z) + g[:H] * r + rest[:H])
    return np.concatenate(dxs, axis=1), np.concatenate(dhps, axis=1), grads
''',
    "einsum": '''
def gru_step_forward(x, h_prev, p):
    hx = np.concatenate([h_prev, x])
    z = sigmoid(np.einsum("ij,jb->ib", p["Wz"], hx) + p["bz"])
    r = sigmoid(np.einsum("ij,jb->ib", p["Wr"], hx) + p["br"])
    rhx = np.concatenate([r * h_prev, x])
    ht = np.tanh(np.einsum("ij,jb->ib", p["Wh"], rhx) + p["bh"])
    h = np.einsum("ib,ib->ib", 1 - z, h_prev) + np.einsum("ib,ib->ib", z, ht)
    return h, {"in": (hx, rhx), "gates": (z, r, ht), "W": (p["Wz"], p["Wr"], p["Wh"])}


def gru_step_backward(dh, cache):
    (hx, rhx), (z, r, ht), (Wz, Wr, Wh) = cache["in"], cache["gates"], cache["W"]
    H = z.shape[0]
    hp = hx[:H]
    dah = dh * z * (1 - np.square(ht))
    daz = dh * (ht - hp) * z * (1 - z)
    g = np.einsum("ij,ib->jb", Wh, dah)
    dar = g[:H] * hp * r * (1 - r)
    dhx = np.einsum("ij,ib->jb", Wz, daz) + np.einsum("ij,ib->jb", Wr, dar)
    grads = {"Wz": np.einsum("ib,jb->ij", daz, hx), "Wr": np.einsum("ib,jb->ij", dar, hx),
             "Wh": np.einsum("ib,jb->ij", dah, rhx), "bz": daz.sum(1)[:, None],
             "br": dar.sum(1)[:, None], "bh": dah.sum(1)[:, None]}
    return g[H:] + dhx[H:], dh * (1 - z) + g[:H] * r + dhx[:H], grads
''',
}

FORWARD = {
    "append_stack": '''
def gru_forward(X, h0, p):
    h, hs, caches = h0, [], []
    for t in range(X.shape[0]):
        h, c = gru_step_forward(X[t], h, p)
        hs.append(h)
        caches.append(c)
    return np.stack(hs), h, caches
''',
    "preallocated": '''
def gru_forward(X, h0, p):
    T = len(X)
    hs = np.zeros((T,) + h0.shape)
    cache = []
    h = h0
    for t in range(T):
        h, step = gru_step_forward(X[t], h, p)
        hs[t] = h
        cache.append(step)
    return hs, hs[-1], cache
''',
    "iterate_tuple_cache": '''
def gru_forward(X, h0, p):
    states, cache = [], ()
    h = h0
    for x in X:
        h, c = gru_step_forward(x, h, p)
        states.append(h)
        cache = cache + (c,)
    print("hidden states:", len(states))
    return np.array(states), h, cache
''',
}

BACKWARD = {
    "get_sum": '''
def gru_backward(dhs, cache, dh_T=None):
    T = dhs.shape[0]
    dh = np.zeros_like(dhs[0]) if dh_T is None else dh_T
    grads, dX = {}, [None] * T
    for t in reversed(range(T)):
        dX[t], dh, g = gru_step_backward(dhs[t] + dh, cache[t])
        for k, v in g.items():
            grads[k] = grads.get(k, 0) + v
    return np.stack(dX), dh, grads
''',
    "dhs_in_place_on_the_input": '''
def gru_backward(dhs, cache, dh_T=None):
    T = len(cache)
    if dh_T is not None:
        dhs[T - 1] += dh_T
    grads = None
    dX = [0] * T
    for t in range(T - 1, -1, -1):
        dx, dh_prev, g = gru_step_backward(dhs[t], cache[t])
        dX[t] = dx
        if t > 0:
            dhs[t - 1] += dh_prev
        grads = g if grads is None else {k: grads[k] + g[k] for k in g}
    return np.array(dX), dh_prev, grads
''',
    "zeros_like_accumulate": '''
def gru_backward(dhs, cache, dh_T=None):
    T, H, B = dhs.shape
    dnext = np.zeros((H, B)) if dh_T is None else dh_T.copy()
    dX, total = [], {}
    for t in range(T - 1, -1, -1):
        dx, dnext, g = gru_step_backward(dhs[t] + dnext, cache[t])
        dX.append(dx)
        for k in g:
            total.setdefault(k, np.zeros_like(g[k]))
            total[k] += g[k]
    dX.reverse()
    return np.stack(dX), dnext, total
''',
    "dX_as_a_list": '''
def gru_backward(dhs, cache, dh_T=None):
    dh = dh_T if dh_T is not None else np.zeros_like(dhs[-1])
    dX, grads = [], {}
    for t in reversed(range(len(cache))):
        dx, dh, g = gru_step_backward(dhs[t] + dh, cache[t])
        dX.insert(0, dx)  # a list of the T arrays (D, B)
        grads = {k: grads[k] + v if k in grads else v for k, v in g.items()}
    return dX, dh, grads
''',
}

COUNT = {
    "size": '''
def count_params(p):
    return int(sum(v.size for v in p.values()))
''',
    "prod_shape": '''
def count_params(p):
    return sum(int(np.prod(v.shape)) for v in p.values())
''',
    "numpy_int": '''
def count_params(p):
    return np.sum([a.size for a in p.values()])
''',
    "loop_len_ravel": '''
def count_params(p):
    n = 0
    for name in p:
        n += len(p[name].ravel())
    return n
''',
    "float_total": '''
def count_params(p):
    return float(sum(w.size for w in p.values()))  # a whole number, as a float
''',
}

FAMILIES = {"step": STEP, "forward": FORWARD, "backward": BACKWARD, "count": COUNT}


def _students(n: int) -> dict[str, dict[str, str]]:
    return {f"student{k:02d}": {fam: list(entries)[(k + j) % len(entries)]
                                for j, (fam, entries) in enumerate(FAMILIES.items())}
            for k in range(n)}


#: student -> {family: entry name}
STUDENTS = _students(16)


def source_of(student: str) -> str:
    choice = STUDENTS[student]
    return "\n".join(FAMILIES[fam][choice[fam]] for fam in FAMILIES)
