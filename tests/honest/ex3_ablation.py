"""Honest, differently written answers to exercise 3's ablated step functions (see
``ex1_lstm_from_scratch.py`` for how the corpus is used). Each entry is a
(``ablated_step_forward``, ``ablated_step_backward``) pair: the backward reads its own cache."""

from __future__ import annotations

STEP = {
    "flags_and_ones": '''
def ablated_step_forward(x, h_prev, C_prev, p, variant):
    hx = np.concatenate([h_prev, x])
    one = np.ones_like(C_prev)
    gate = lambda g: sigmoid(p["W" + g] @ hx + p["b" + g])
    f = one if variant == "nfg" else gate("f")
    i = {"cifg": 1 - f, "nig": one}.get(variant)
    if i is None:
        i = gate("i")
    a = p["WC"] @ hx + p["bC"]
    Ct = a if variant == "niaf" else np.tanh(a)
    C = f * C_prev + i * Ct
    o = one if variant == "nog" else gate("o")
    s = C if variant == "noaf" else np.tanh(C)
    return o * s, C, (variant, hx, C_prev, f, i, Ct, o, s, p)


def ablated_step_backward(dh, dC_next, cache):
    v, hx, C_prev, f, i, Ct, o, s, p = cache
    H = C_prev.shape[0]
    dC = dC_next + dh * o * (1 if v == "noaf" else 1 - s ** 2)
    dz = {"C": dC * i * (1 if v == "niaf" else 1 - Ct ** 2)}
    if v != "nog":
        dz["o"] = dh * s * o * (1 - o)
    if v != "nfg":
        df = dC * C_prev - (dC * Ct if v == "cifg" else 0)
        dz["f"] = df * f * (1 - f)
    if v not in ("nig", "cifg"):
        dz["i"] = dC * Ct * i * (1 - i)
    grads = {}
    dhx = 0
    for g, d in dz.items():
        grads["W" + g], grads["b" + g] = d @ hx.T, d.sum(1, keepdims=True)
        dhx = dhx + p["W" + g].T @ d
    return dhx[H:], dhx[:H], dC * f, grads
''',
    "present_gates_by_keys": '''
def ablated_step_forward(x, h_prev, C_prev, p, variant):
    H = h_prev.shape[0]
    z = {g: p["W" + g][:, :H] @ h_prev + p["W" + g][:, H:] @ x + p["b" + g]
         for g in "fiCo" if "W" + g in p}
    f = sigmoid(z["f"]) if "f" in z else np.ones((H, x.shape[1]))
    if variant == "cifg":
        i = 1.0 - f
    else:
        i = sigmoid(z["i"]) if "i" in z else np.ones_like(f)
    Ct = z["C"] if variant == "niaf" else np.tanh(z["C"])
    o = sigmoid(z["o"]) if "o" in z else np.ones_like(f)
    C = f * C_prev + i * Ct
    out = C if variant == "noaf" else np.tanh(C)
    cache = dict(v=variant, x=x, h=h_prev, Cp=C_prev, f=f, i=i, Ct=Ct, o=o, out=out, p=p)
    return o * out, C, cache


def ablated_step_backward(dh, dC_next, cache):
    c = cache
    v, p, H = c["v"], c["p"], c["h"].shape[0]
    dout = dh * c["o"]
    dC = dC_next + (dout if v == "noaf" else dout * (1 - c["out"] ** 2))
    dCt = dC * c["i"]
    d_pre = {"C": dCt if v == "niaf" else dCt * (1 - c["Ct"] ** 2)}
    if "Wo" in p:
        d_pre["o"] = dh * c["out"] * c["o"] * (1 - c["o"])
    if "Wf" in p:
        df = dC * c["Cp"]
        if v == "cifg":
            df = df + dC * c["Ct"] * -1.0  # i = 1 - f
        d_pre["f"] = df * c["f"] * (1 - c["f"])
    if "Wi" in p:
        d_pre["i"] = dC * c["Ct"] * c["i"] * (1 - c["i"])
    grads, dx, dhp = {}, np.zeros_like(c["x"]), np.zeros_like(c["h"])
    for g, d in d_pre.items():
        W = p["W" + g]
        grads["W" + g] = np.hstack([d @ c["h"].T, d @ c["x"].T])
        grads["b" + g] = d.sum(axis=1)[:, None]
        dhp += W[:, :H].T @ d
        dx += W[:, H:].T @ d
    return dx, dhp, dC * c["f"], grads
''',
    "recompute_from_inputs": '''
def ablated_step_forward(x, h_prev, C_prev, p, variant):
    def parts(x, h_prev, C_prev):
        hx = np.vstack([h_prev, x])
        lin = lambda g: p["W" + g] @ hx + p["b" + g]
        f = np.ones_like(C_prev) if variant == "nfg" else 1 / (1 + np.exp(-lin("f")))
        if variant == "cifg":
            i = 1 - f
        elif variant == "nig":
            i = np.ones_like(C_prev)
        else:
            i = 1 / (1 + np.exp(-lin("i")))
        Ct = lin("C") if variant == "niaf" else np.tanh(lin("C"))
        o = np.ones_like(C_prev) if variant == "nog" else 1 / (1 + np.exp(-lin("o")))
        C = f * C_prev + i * Ct
        s = C if variant == "noaf" else np.tanh(C)
        return hx, f, i, Ct, o, C, s
    hx, f, i, Ct, o, C, s = parts(x, h_prev, C_prev)
    return o * s, C, {"parts": parts, "args": (x, h_prev, C_prev), "p": p, "variant": variant}


def ablated_step_backward(dh, dC_next, cache):
    hx, f, i, Ct, o, C, s = cache["parts"](*cache["args"])
    v, p = cache["variant"], cache["p"]
    C_prev = cache["args"][2]
    H = C_prev.shape[0]
    ds = dh * o
    dC = ds * (1.0 if v == "noaf" else 1.0 - s * s) + dC_next
    names = [g for g in ("f", "i", "C", "o") if "W" + g in p]
    local = {
        "f": (dC * C_prev - (dC * Ct if v == "cifg" else 0.0)) * f * (1 - f),
        "i": dC * Ct * i * (1 - i),
        "C": dC * i * (1.0 if v == "niaf" else 1.0 - Ct ** 2),
        "o": dh * s * o * (1 - o),
    }
    grads = {}
    dhx = np.zeros_like(hx)
    for g in names:
        grads["W" + g] = local[g] @ hx.T
        grads["b" + g] = np.sum(local[g], axis=1, keepdims=True)
        dhx += p["W" + g].T @ local[g]
    return dhx[H:], dhx[:H], dC * f, grads
''',
    "per_variant_table": '''
GATES_OF = {"lstm": "fio", "nfg": "io", "nig": "fo", "nog": "fi", "niaf": "fio", "noaf": "fio",
            "cifg": "fo"}


def ablated_step_forward(x, h_prev, C_prev, p, variant):
    hx = np.concatenate((h_prev, x), axis=0)
    g = {k: sigmoid(np.dot(p["W" + k], hx) + p["b" + k]) for k in GATES_OF[variant]}
    g.setdefault("f", np.ones(C_prev.shape))
    g.setdefault("o", np.ones(C_prev.shape))
    g.setdefault("i", 1 - g["f"] if variant == "cifg" else np.ones(C_prev.shape))
    aC = np.dot(p["WC"], hx) + p["bC"]
    cand = aC.copy() if variant == "niaf" else np.tanh(aC)
    C = g["f"] * C_prev
    C += g["i"] * cand  # in place on my own new array
    squash = C.copy() if variant == "noaf" else np.tanh(C)
    return g["o"] * squash, C, [variant, hx, C_prev, g, cand, squash, p]


def ablated_step_backward(dh, dC_next, cache):
    variant, hx, C_prev, g, cand, squash, p = cache
    H = C_prev.shape[0]
    dC = dC_next.copy()
    dC += dh * g["o"] * (np.ones_like(squash) if variant == "noaf" else 1 - squash ** 2)
    dpre = {}
    for k in GATES_OF[variant]:
        if k == "o":
            dgate = dh * squash
        elif k == "i":
            dgate = dC * cand
        else:  # f
            dgate = dC * C_prev - (dC * cand if variant == "cifg" else 0)
        dpre[k] = dgate * g[k] * (1 - g[k])
    dpre["C"] = dC * g["i"] * (1 if variant == "niaf" else 1 - cand ** 2)
    grads = {}
    dhx = np.zeros(hx.shape)
    for k, d in dpre.items():
        grads["W" + k] = np.dot(d, hx.T)
        grads["b" + k] = np.sum(d, axis=1).reshape(-1, 1)
        dhx += np.dot(p["W" + k].T, d)
    return dhx[H:], dhx[:H], dC * g["f"], grads
''',
    "fused_present_gates": '''
def ablated_step_forward(x, h_prev, C_prev, p, variant):
    H = h_prev.shape[0]
    names = [g for g in ("f", "i", "o") if "W" + g in p]
    hx = np.vstack([h_prev, x])
    W = np.vstack([p["W" + g] for g in names] + [p["WC"]])
    b = np.vstack([p["b" + g] for g in names] + [p["bC"]])
    a = W @ hx + b
    gates = {g: sigmoid(a[k * H:(k + 1) * H]) for k, g in enumerate(names)}
    aC = a[len(names) * H:]
    one = np.ones_like(C_prev)
    f = gates.get("f", one)
    i = 1.0 - f if variant == "cifg" else gates.get("i", one)
    o = gates.get("o", one)
    Ct = aC if variant == "niaf" else np.tanh(aC)
    C = f * C_prev + i * Ct
    t = C if variant == "noaf" else np.tanh(C)
    return o * t, C, (variant, names, hx, W, C_prev, f, i, o, Ct, t)


def ablated_step_backward(dh, dC_next, cache):
    variant, names, hx, W, C_prev, f, i, o, Ct, t = cache
    H = C_prev.shape[0]
    dC = dC_next + dh * o * (1.0 if variant == "noaf" else 1.0 - t ** 2)
    d = {"f": (dC * C_prev - (dC * Ct if variant == "cifg" else 0.0)) * f * (1 - f),
         "i": dC * Ct * i * (1 - i), "o": dh * t * o * (1 - o)}
    dA = np.vstack([d[g] for g in names]
                   + [dC * i * (1.0 if variant == "niaf" else 1.0 - Ct ** 2)])
    dW, db = dA @ hx.T, dA.sum(axis=1, keepdims=True)
    grads = {}
    for k, g in enumerate(names + ["C"]):
        grads["W" + g], grads["b" + g] = dW[k * H:(k + 1) * H], db[k * H:(k + 1) * H]
    dhx = W.T @ dA
    return dhx[H:], dhx[:H], dC * f, grads
''',
    "column_by_column": '''
def ablated_step_forward(x, h_prev, C_prev, p, variant):
    B = x.shape[1]
    hs, Cs, cols = [], [], []
    for b in range(B):
        hx = np.concatenate([h_prev[:, [b]], x[:, [b]]])
        one = np.ones((h_prev.shape[0], 1))
        f = one if variant == "nfg" else sigmoid(p["Wf"] @ hx + p["bf"])
        i = (1 - f) if variant == "cifg" else (one if variant == "nig"
                                               else sigmoid(p["Wi"] @ hx + p["bi"]))
        aC = p["WC"] @ hx + p["bC"]
        Ct = aC if variant == "niaf" else np.tanh(aC)
        Cb = f * C_prev[:, [b]] + i * Ct
        o = one if variant == "nog" else sigmoid(p["Wo"] @ hx + p["bo"])
        tb = Cb if variant == "noaf" else np.tanh(Cb)
        hs.append(o * tb)
        Cs.append(Cb)
        cols.append((hx, C_prev[:, [b]], f, i, Ct, o, tb))
    return np.hstack(hs), np.hstack(Cs), (variant, p, cols)


def ablated_step_backward(dh, dC_next, cache):
    variant, p, cols = cache
    H = dh.shape[0]
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    dxs, dhs, dCs = [], [], []
    for b, (hx, Cp, f, i, Ct, o, tb) in enumerate(cols):
        g_h, g_C = dh[:, [b]], dC_next[:, [b]]
        dC = g_C + g_h * o * (1 if variant == "noaf" else 1 - tb ** 2)
        dz = {"C": dC * i * (1 if variant == "niaf" else 1 - Ct ** 2)}
        if "Wo" in p:
            dz["o"] = g_h * tb * o * (1 - o)
        if "Wf" in p:
            dz["f"] = (dC * Cp - (dC * Ct if variant == "cifg" else 0)) * f * (1 - f)
        if "Wi" in p:
            dz["i"] = dC * Ct * i * (1 - i)
        dhx = np.zeros_like(hx)
        for g, d in dz.items():
            grads["W" + g] += d @ hx.T
            grads["b" + g] += d
            dhx += p["W" + g].T @ d
        dxs.append(dhx[H:])
        dhs.append(dhx[:H])
        dCs.append(dC * f)
    return np.hstack(dxs), np.hstack(dhs), np.hstack(dCs), grads
''',
}

FAMILIES = {"step": STEP}

#: student -> {family: entry name}: one student per pair
STUDENTS = {f"student{k:02d}": {"step": name} for k, name in enumerate(STEP)}


def source_of(student: str) -> str:
    return STEP[STUDENTS[student]["step"]]
