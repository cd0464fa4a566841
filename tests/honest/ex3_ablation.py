"""Honest, differently written answers to exercise 3 (see ``ex1_lstm_from_scratch.py`` for how
the corpus is used).

:data:`STEP` holds (``ablated_step_forward``, ``ablated_step_backward``) pairs, each backward
reading its own cache: flags or parameter keys or a table deciding which gates exist; a removed
gate as ones, as a dropped term (``C = C_prev + i⊙C̃``), as a gate stuck open (σ(1000) = 1) or
as zero weights whose gradient is filtered out; CIFG as ``1 − f`` with its gradient routed into
f; per-gate, fused, stacked (3-D) or einsum weights; column or row layout; loops over samples;
in-place updates of the student's own arrays and of the gradients they are given; float32.
:data:`TRAIN` (``train_on_stream`` and the loop filling ``TRAINED``: slices, reshaped or split
chunks, a while loop, clipping by hand or by the library, ``Adam`` called on the whole dict),
:data:`LOSS` (``stream_loss``: fancy indexing, ``take_along_axis``, a per-step logsumexp, one-hot
sums, the mean of equal-length streams' means) and :data:`RESULTS` (the table as tuples, arrays,
lists or a loss matrix, population or sample spread; the choice by ``max``, ``sorted``, a loop,
``argmax`` (also into an array of names: a NumPy string) or the gap to the LSTM) complete each
student: :data:`STUDENTS` combines them.
"""

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
    "gate_stuck_open": '''
def ablated_step_forward(x, h_prev, C_prev, p, variant):
    # a removed gate is a gate stuck fully open: sigmoid(1000) is exactly 1.0
    hx = np.r_[h_prev, x]
    stuck = np.full(C_prev.shape, 1000.0)
    pre = {g: p["W" + g] @ hx + p["b" + g] if "W" + g in p else stuck for g in "fio"}
    f, i, o = sigmoid(pre["f"]), sigmoid(pre["i"]), sigmoid(pre["o"])
    if variant == "cifg":
        i = 1 - f
    aC = p["WC"] @ hx + p["bC"]
    Ct = aC if variant == "niaf" else np.tanh(aC)
    C = f * C_prev + i * Ct
    s = C if variant == "noaf" else np.tanh(C)
    return o * s, C, (variant, p, hx, C_prev, f, i, o, Ct, s)


def ablated_step_backward(dh, dC_next, cache):
    variant, p, hx, C_prev, f, i, o, Ct, s = cache
    H = C_prev.shape[0]
    dC = dC_next + dh * o * (1 if variant == "noaf" else 1 - s * s)
    d_gate = {"f": dC * C_prev, "i": dC * Ct, "o": dh * s}
    if variant == "cifg":
        d_gate["f"] = d_gate["f"] - d_gate["i"]  # i = 1 - f
    value = {"f": f, "i": i, "o": o}
    d_pre = {g: d_gate[g] * value[g] * (1 - value[g]) for g in "fio" if "W" + g in p}
    d_pre["C"] = dC * i * (1 if variant == "niaf" else 1 - Ct * Ct)
    grads = {}
    dhx = np.zeros_like(hx)
    for g, d in d_pre.items():
        grads["W" + g] = d @ hx.T
        grads["b" + g] = d.sum(axis=1, keepdims=True)
        dhx = dhx + p["W" + g].T @ d
    return dhx[H:], dhx[:H], dC * f, grads
''',
    "one_branch_per_variant": '''
def _lin(p, g, hx):
    return p["W" + g] @ hx + p["b" + g]


def ablated_step_forward(x, h_prev, C_prev, p, variant):
    hx = np.concatenate([h_prev, x])
    f = i = o = None
    if variant == "lstm":
        f, i, o = sigmoid(_lin(p, "f", hx)), sigmoid(_lin(p, "i", hx)), sigmoid(_lin(p, "o", hx))
        Ct = np.tanh(_lin(p, "C", hx))
        C = f * C_prev + i * Ct
        h = o * np.tanh(C)
    elif variant == "nfg":  # C = C_prev + i*Ct: the forget term is simply gone
        i, o = sigmoid(_lin(p, "i", hx)), sigmoid(_lin(p, "o", hx))
        Ct = np.tanh(_lin(p, "C", hx))
        C = C_prev + i * Ct
        h = o * np.tanh(C)
    elif variant == "nig":
        f, o = sigmoid(_lin(p, "f", hx)), sigmoid(_lin(p, "o", hx))
        Ct = np.tanh(_lin(p, "C", hx))
        C = f * C_prev + Ct
        h = o * np.tanh(C)
    elif variant == "nog":
        f, i = sigmoid(_lin(p, "f", hx)), sigmoid(_lin(p, "i", hx))
        Ct = np.tanh(_lin(p, "C", hx))
        C = f * C_prev + i * Ct
        h = np.tanh(C)
    elif variant == "niaf":
        f, i, o = sigmoid(_lin(p, "f", hx)), sigmoid(_lin(p, "i", hx)), sigmoid(_lin(p, "o", hx))
        Ct = _lin(p, "C", hx)
        C = f * C_prev + i * Ct
        h = o * np.tanh(C)
    elif variant == "noaf":
        f, i, o = sigmoid(_lin(p, "f", hx)), sigmoid(_lin(p, "i", hx)), sigmoid(_lin(p, "o", hx))
        Ct = np.tanh(_lin(p, "C", hx))
        C = f * C_prev + i * Ct
        h = o * C
    elif variant == "cifg":
        f, o = sigmoid(_lin(p, "f", hx)), sigmoid(_lin(p, "o", hx))
        Ct = np.tanh(_lin(p, "C", hx))
        C = f * C_prev + (1 - f) * Ct
        h = o * np.tanh(C)
    else:
        raise ValueError(variant)
    return h, C, {"v": variant, "p": p, "hx": hx, "Cp": C_prev, "f": f, "i": i, "o": o,
                  "Ct": Ct, "C": C}


def ablated_step_backward(dh, dC_next, cache):
    v, p, hx, Cp = cache["v"], cache["p"], cache["hx"], cache["Cp"]
    f, i, o, Ct, C = (cache[k] for k in ("f", "i", "o", "Ct", "C"))
    H = Cp.shape[0]
    tC = np.tanh(C)
    if v == "noaf":
        dC = dC_next + dh * o
    elif v == "nog":
        dC = dC_next + dh * (1 - tC ** 2)
    else:
        dC = dC_next + dh * o * (1 - tC ** 2)
    d = {}
    if v != "nog":
        d["o"] = dh * (C if v == "noaf" else tC) * o * (1 - o)
    if v == "nig":
        dCt = dC
    elif v == "cifg":
        dCt = dC * (1 - f)
    else:
        dCt = dC * i
    d["C"] = dCt if v == "niaf" else dCt * (1 - Ct ** 2)
    if v == "cifg":
        d["f"] = dC * (Cp - Ct) * f * (1 - f)
    elif v != "nfg":
        d["f"] = dC * Cp * f * (1 - f)
    if v not in ("nig", "cifg"):
        d["i"] = dC * Ct * i * (1 - i)
    grads = {"W" + g: dg @ hx.T for g, dg in d.items()}
    grads.update({"b" + g: dg.sum(1, keepdims=True) for g, dg in d.items()})
    dhx = sum(p["W" + g].T @ dg for g, dg in d.items())
    dC_prev = dC if v == "nfg" else dC * f
    return dhx[H:], dhx[:H], dC_prev, grads
''',
    "einsum_split_weights": '''
def ablated_step_forward(x, h_prev, C_prev, p, variant):
    H = h_prev.shape[0]

    def pre(g):
        W = p["W" + g]
        return (np.einsum("jk,kb->jb", W[:, :H], h_prev) + np.einsum("jk,kb->jb", W[:, H:], x)
                + p["b" + g])

    one = np.ones_like(C_prev)
    f = sigmoid(pre("f")) if "Wf" in p else one
    i = 1 - f if variant == "cifg" else (sigmoid(pre("i")) if "Wi" in p else one)
    o = sigmoid(pre("o")) if "Wo" in p else one
    lin = variant == "niaf"
    Ct = pre("C") if lin else np.tanh(pre("C"))
    C = np.einsum("hb,hb->hb", f, C_prev) + np.einsum("hb,hb->hb", i, Ct)
    s = C if variant == "noaf" else np.tanh(C)
    return o * s, C, dict(variant=variant, p=p, x=x, h=h_prev, Cp=C_prev, f=f, i=i, o=o,
                          Ct=Ct, s=s)


def ablated_step_backward(dh, dC_next, cache):
    c = cache
    v, p, H = c["variant"], c["p"], c["h"].shape[0]
    dC = dC_next + dh * c["o"] * (1.0 if v == "noaf" else 1.0 - c["s"] ** 2)
    da = {"C": dC * c["i"] * (1.0 if v == "niaf" else 1.0 - c["Ct"] ** 2)}
    if "Wf" in p:
        df = dC * c["Cp"] - (dC * c["Ct"] if v == "cifg" else 0.0)
        da["f"] = df * c["f"] * (1.0 - c["f"])
    if "Wi" in p:
        da["i"] = dC * c["Ct"] * c["i"] * (1.0 - c["i"])
    if "Wo" in p:
        da["o"] = dh * c["s"] * c["o"] * (1.0 - c["o"])
    grads = {}
    dx = np.zeros_like(c["x"])
    dhp = np.zeros_like(c["h"])
    for g, d in da.items():
        W = p["W" + g]
        grads["W" + g] = np.concatenate(
            [np.einsum("jb,kb->jk", d, c["h"]), np.einsum("jb,kb->jk", d, c["x"])], axis=1)
        grads["b" + g] = np.einsum("jb->j", d)[:, None]
        dhp += np.einsum("jk,jb->kb", W[:, :H], d)
        dx += np.einsum("jk,jb->kb", W[:, H:], d)
    return dx, dhp, dC * c["f"], grads
''',
    "rows_inside": '''
def ablated_step_forward(x, h_prev, C_prev, p, variant):
    # I think in rows (one sample per row), so I transpose on the way in and out
    hx = np.hstack([h_prev.T, x.T])                    # (B, H + D)
    Cp = C_prev.T                                        # (B, H)
    act = lambda g: hx @ p["W" + g].T + p["b" + g].T    # (B, H)
    f = np.ones_like(Cp) if variant == "nfg" else sigmoid(act("f"))
    if variant == "cifg":
        i = 1 - f
    elif variant == "nig":
        i = np.ones_like(Cp)
    else:
        i = sigmoid(act("i"))
    o = np.ones_like(Cp) if variant == "nog" else sigmoid(act("o"))
    Ct = act("C") if variant == "niaf" else np.tanh(act("C"))
    C = f * Cp + i * Ct
    s = C if variant == "noaf" else np.tanh(C)
    h = o * s
    return h.T, C.T, (variant, p, hx, Cp, f, i, o, Ct, s)


def ablated_step_backward(dh, dC_next, cache):
    variant, p, hx, Cp, f, i, o, Ct, s = cache
    dh, dC_next = dh.T, dC_next.T
    H = Cp.shape[1]
    dC = dC_next + dh * o * (1 if variant == "noaf" else 1 - s ** 2)
    rows = {"C": dC * i * (1 if variant == "niaf" else 1 - Ct ** 2)}
    if variant != "nfg":
        rows["f"] = (dC * Cp - (dC * Ct if variant == "cifg" else 0)) * f * (1 - f)
    if variant not in ("nig", "cifg"):
        rows["i"] = dC * Ct * i * (1 - i)
    if variant != "nog":
        rows["o"] = dh * s * o * (1 - o)
    grads = {}
    dhx = np.zeros_like(hx)
    for g, d in rows.items():
        grads["W" + g] = d.T @ hx
        grads["b" + g] = d.sum(axis=0)[:, None]
        dhx += d @ p["W" + g]
    return dhx[:, H:].T, dhx[:, :H].T, (dC * f).T, grads
''',
    "activation_pairs": '''
def _identity(a):
    return a


def _tanh_slope(y):
    return 1.0 - y ** 2


def _unit_slope(y):
    return np.ones_like(y)


def ablated_step_forward(x, h_prev, C_prev, p, variant):
    g_in, g_out = np.tanh, np.tanh
    if variant == "niaf":
        g_in = _identity
    if variant == "noaf":
        g_out = _identity
    hx = np.vstack((h_prev, x))
    gate = {}
    for name in ("f", "i", "o"):
        if "W" + name in p:
            gate[name] = sigmoid(p["W" + name].dot(hx) + p["b" + name])
        else:
            gate[name] = np.ones(C_prev.shape)
    if variant == "cifg":
        gate["i"] = 1.0 - gate["f"]
    Ct = g_in(p["WC"].dot(hx) + p["bC"])
    C = gate["f"] * C_prev + gate["i"] * Ct
    y = g_out(C)
    slopes = (_unit_slope if variant == "niaf" else _tanh_slope,
              _unit_slope if variant == "noaf" else _tanh_slope)
    return gate["o"] * y, C, (variant, p, hx, C_prev, gate, Ct, y, slopes)


def ablated_step_backward(dh, dC_next, cache):
    variant, p, hx, C_prev, gate, Ct, y, (slope_in, slope_out) = cache
    f, i, o = gate["f"], gate["i"], gate["o"]
    H = C_prev.shape[0]
    dC = dh * o * slope_out(y) + dC_next
    pre = {"o": dh * y * o * (1 - o), "i": dC * Ct * i * (1 - i)}
    df = dC * C_prev
    if variant == "cifg":
        df = df + dC * Ct * (-1.0)
    pre["f"] = df * f * (1 - f)
    pre["C"] = dC * i * slope_in(Ct)
    grads = {}
    dhx = np.zeros(hx.shape)
    for name in ("f", "i", "C", "o"):
        if "W" + name not in p:
            continue
        grads["W" + name] = pre[name].dot(hx.T)
        grads["b" + name] = pre[name].sum(axis=1, keepdims=True)
        dhx = dhx + p["W" + name].T.dot(pre[name])
    return dhx[H:], dhx[:H], dC * f, grads
''',
    "in_place_on_my_arrays": '''
def ablated_step_forward(x, h_prev, C_prev, p, variant):
    H = h_prev.shape[0]
    hx = np.empty((H + x.shape[0], x.shape[1]))
    hx[:H] = h_prev
    hx[H:] = x
    ones = np.ones_like(C_prev)
    f = ones if variant == "nfg" else sigmoid(p["Wf"] @ hx + p["bf"])
    if variant == "cifg":
        i = 1.0 - f
    else:
        i = ones if variant == "nig" else sigmoid(p["Wi"] @ hx + p["bi"])
    o = ones if variant == "nog" else sigmoid(p["Wo"] @ hx + p["bo"])
    Ct = p["WC"] @ hx           # my own new array from here on
    Ct += p["bC"]
    if variant != "niaf":
        np.tanh(Ct, out=Ct)
    C = f * C_prev
    C += i * Ct
    s = C.copy()
    if variant != "noaf":
        np.tanh(s, out=s)
    h = s * o
    return h, C, [variant, p, hx, C_prev, f, i, o, Ct, s]


def ablated_step_backward(dh, dC_next, cache):
    variant, p, hx, C_prev, f, i, o, Ct, s = cache
    H = C_prev.shape[0]
    # the gradients I am given are mine to change
    dC = dC_next
    dC += dh * o * (1.0 if variant == "noaf" else 1.0 - s ** 2)
    grads = {}
    dhx = np.zeros_like(hx)

    def add(g, d):
        grads["W" + g] = d @ hx.T
        grads["b" + g] = d.sum(axis=1, keepdims=True)
        dhx[...] += p["W" + g].T @ d

    if variant != "nog":
        d_o = dh * s
        d_o *= o * (1.0 - o)
        add("o", d_o)
    if variant != "nfg":
        d_f = dC * C_prev
        if variant == "cifg":
            d_f -= dC * Ct
        d_f *= f * (1.0 - f)
        add("f", d_f)
    if variant not in ("nig", "cifg"):
        d_i = dC * Ct
        d_i *= i * (1.0 - i)
        add("i", d_i)
    d_C = dC * i
    if variant != "niaf":
        d_C *= 1.0 - Ct ** 2
    add("C", d_C)
    return dhx[H:], dhx[:H], dC * f, grads
''',
    "outer_products_per_sample": '''
from types import SimpleNamespace


def ablated_step_forward(x, h_prev, C_prev, p, variant):
    z = np.concatenate([h_prev, x])
    sig = lambda g: sigmoid(p["W%s" % g] @ z + p["b%s" % g])
    c = SimpleNamespace(variant=variant, p=p, z=z, C_prev=C_prev)
    c.f = sig("f") if "Wf" in p else np.ones_like(C_prev)
    c.i = (1 - c.f) if variant == "cifg" else (sig("i") if "Wi" in p else np.ones_like(C_prev))
    c.o = sig("o") if "Wo" in p else np.ones_like(C_prev)
    a = p["WC"] @ z + p["bC"]
    c.Ct = a if variant == "niaf" else np.tanh(a)
    C = c.f * C_prev + c.i * c.Ct
    c.s = C if variant == "noaf" else np.tanh(C)
    return c.o * c.s, C, c


def ablated_step_backward(dh, dC_next, cache):
    c = cache
    H, B = c.C_prev.shape
    dC = dC_next + dh * c.o * (1 if c.variant == "noaf" else 1 - c.s ** 2)
    local = {"C": dC * c.i * (1 if c.variant == "niaf" else 1 - c.Ct ** 2)}
    if "Wf" in c.p:
        local["f"] = dC * (c.C_prev - c.Ct if c.variant == "cifg" else c.C_prev) * c.f * (1 - c.f)
    if "Wi" in c.p:
        local["i"] = dC * c.Ct * c.i * (1 - c.i)
    if "Wo" in c.p:
        local["o"] = dh * c.s * c.o * (1 - c.o)
    grads = {}
    for g, d in local.items():
        W = np.zeros_like(c.p["W" + g])
        b = np.zeros_like(c.p["b" + g])
        for k in range(B):
            W += np.outer(d[:, k], c.z[:, k])
            b[:, 0] += d[:, k]
        grads["W" + g], grads["b" + g] = W, b
    dz = sum(c.p["W" + g].T @ d for g, d in local.items())
    return dz[H:], dz[:H], dC * c.f, grads
''',
    "cache_object": '''
class StepCache:
    """What the backward of one step needs."""

    def __init__(self, **parts):
        self.__dict__.update(parts)


def ablated_step_forward(x, h_prev, C_prev, p, variant):
    hx = np.concatenate((h_prev, x), axis=0)
    has = {g: ("W" + g) in p for g in "fio"}
    f = sigmoid(p["Wf"] @ hx + p["bf"]) if has["f"] else 1.0 + 0.0 * C_prev
    if variant == "cifg":
        i = 1.0 - f
    elif has["i"]:
        i = sigmoid(p["Wi"] @ hx + p["bi"])
    else:
        i = 1.0 + 0.0 * C_prev
    o = sigmoid(p["Wo"] @ hx + p["bo"]) if has["o"] else 1.0 + 0.0 * C_prev
    aC = p["WC"] @ hx + p["bC"]
    Ct = np.tanh(aC) if variant != "niaf" else aC
    C = f * C_prev + i * Ct
    tC = np.tanh(C) if variant != "noaf" else C
    h = o * tC
    return h, C, StepCache(v=variant, p=p, hx=hx, C_prev=C_prev, f=f, i=i, o=o, Ct=Ct, tC=tC,
                           has=has)


def ablated_step_backward(dh, dC_next, cache):
    k = cache
    H = k.C_prev.shape[0]
    d_tC = dh * k.o
    dC = dC_next + (d_tC if k.v == "noaf" else d_tC * (1.0 - k.tC ** 2))
    # gradients w.r.t. the gate values first, then through the sigmoids
    d_f, d_i, d_o, d_Ct = dC * k.C_prev, dC * k.Ct, dh * k.tC, dC * k.i
    if k.v == "cifg":
        d_f = d_f - d_i      # i = 1 - f: the input path reaches f with a minus sign
    d_pre = {"C": d_Ct if k.v == "niaf" else d_Ct * (1.0 - k.Ct ** 2)}
    for g, dv, val in (("f", d_f, k.f), ("i", d_i, k.i), ("o", d_o, k.o)):
        if k.has[g]:
            d_pre[g] = dv * val * (1.0 - val)
    grads, dhx = {}, 0.0
    for g, d in d_pre.items():
        grads["W" + g] = d @ k.hx.T
        grads["b" + g] = np.sum(d, axis=1, keepdims=True)
        dhx = dhx + k.p["W" + g].T @ d
    return dhx[H:], dhx[:H], dC * k.f, grads
''',
    "stacked_gate_tensor": '''
def ablated_step_forward(x, h_prev, C_prev, p, variant):
    hx = np.concatenate([h_prev, x])
    names = [g for g in "fioC" if "W" + g in p]
    W = np.stack([p["W" + g] for g in names])          # (n, H, H + D)
    b = np.stack([p["b" + g] for g in names])          # (n, H, 1)
    A = W @ hx + b                                      # (n, H, B)
    at = dict(zip(names, A))
    one = np.ones_like(C_prev)
    f = sigmoid(at["f"]) if "f" in at else one
    i = 1 - f if variant == "cifg" else (sigmoid(at["i"]) if "i" in at else one)
    o = sigmoid(at["o"]) if "o" in at else one
    Ct = at["C"] if variant == "niaf" else np.tanh(at["C"])
    C = f * C_prev + i * Ct
    s = C if variant == "noaf" else np.tanh(C)
    return o * s, C, (variant, names, W, hx, C_prev, f, i, o, Ct, s)


def ablated_step_backward(dh, dC_next, cache):
    variant, names, W, hx, C_prev, f, i, o, Ct, s = cache
    H = C_prev.shape[0]
    dC = dC_next + dh * o * (1 if variant == "noaf" else 1 - s ** 2)
    per = {
        "f": dC * (C_prev - Ct * (variant == "cifg")) * f * (1 - f),
        "i": dC * Ct * i * (1 - i),
        "o": dh * s * o * (1 - o),
        "C": dC * i * (1 if variant == "niaf" else 1 - Ct ** 2),
    }
    dA = np.stack([per[g] for g in names])              # (n, H, B)
    dW = dA @ hx.T                                      # (n, H, H + D)
    db = dA.sum(axis=2, keepdims=True)                  # (n, H, 1)
    dhx = (np.transpose(W, (0, 2, 1)) @ dA).sum(axis=0)
    grads = {}
    for k, g in enumerate(names):
        grads["W" + g], grads["b" + g] = dW[k], db[k]
    return dhx[H:], dhx[:H], dC * f, grads
''',
    "zero_weights_then_filter": '''
def ablated_step_forward(x, h_prev, C_prev, p, variant):
    H = C_prev.shape[0]
    hx = np.concatenate([h_prev, x])
    # missing gates get zero weights so every gate has the same code; their values are fixed
    full = {k: p[k] if k in p else np.zeros_like(p["WC"]) for k in ("Wf", "Wi", "WC", "Wo")}
    full.update({k: p.get(k, np.zeros((H, 1))) for k in ("bf", "bi", "bC", "bo")})
    z = {g: full["W" + g] @ hx + full["b" + g] for g in "fiCo"}
    f = np.ones_like(C_prev) if variant == "nfg" else sigmoid(z["f"])
    i = {"nig": np.ones_like(C_prev), "cifg": 1 - f}.get(variant, None)
    if i is None:
        i = sigmoid(z["i"])
    o = np.ones_like(C_prev) if variant == "nog" else sigmoid(z["o"])
    Ct = z["C"] if variant == "niaf" else np.tanh(z["C"])
    C = f * C_prev + i * Ct
    s = C if variant == "noaf" else np.tanh(C)
    return o * s, C, {"v": variant, "keys": tuple(p), "W": full, "hx": hx, "Cp": C_prev,
                      "f": f, "i": i, "o": o, "Ct": Ct, "s": s}


def ablated_step_backward(dh, dC_next, cache):
    c = cache
    v = c["v"]
    H = c["Cp"].shape[0]
    const = {"f": v == "nfg", "i": v in ("nig", "cifg"), "o": v == "nog"}
    dC = dC_next + dh * c["o"] * (1 if v == "noaf" else 1 - c["s"] ** 2)
    dgate = {"f": dC * c["Cp"] - (dC * c["Ct"] if v == "cifg" else 0), "i": dC * c["Ct"],
             "o": dh * c["s"]}
    dz = {g: np.zeros_like(dC) if const[g] else dgate[g] * c[g] * (1 - c[g]) for g in "fio"}
    dz["C"] = dC * c["i"] * (1 if v == "niaf" else 1 - c["Ct"] ** 2)
    all_grads = {}
    dhx = np.zeros_like(c["hx"])
    for g in "fiCo":
        all_grads["W" + g] = dz[g] @ c["hx"].T
        all_grads["b" + g] = dz[g].sum(axis=1, keepdims=True)
        dhx += c["W"]["W" + g].T @ dz[g]
    grads = {k: all_grads[k] for k in c["keys"]}
    return dhx[H:], dhx[:H], dC * c["f"], grads
''',
    "own_sigmoid_gate_list": '''
def _sig(a):
    return np.exp(-np.logaddexp(0.0, -a))


GATES = (("f", "nfg"), ("i", "nig"), ("o", "nog"))


def ablated_step_forward(x, h_prev, C_prev, p, variant):
    hx = np.concatenate([h_prev, x])
    vals = []
    for g, removed_by in GATES:
        if variant == removed_by or (g == "i" and variant == "cifg"):
            vals.append(None)
        else:
            vals.append(_sig(p["W" + g] @ hx + p["b" + g]))
    f, i, o = vals
    if f is None:
        f = np.ones_like(C_prev)
    if i is None:
        i = 1.0 - f if variant == "cifg" else np.ones_like(C_prev)
    if o is None:
        o = np.ones_like(C_prev)
    aC = p["WC"] @ hx + p["bC"]
    Ct = aC if variant == "niaf" else np.tanh(aC)
    C = C_prev * f + Ct * i
    s = C if variant == "noaf" else np.tanh(C)
    return s * o, C, (variant, p, hx, C_prev, f, i, o, Ct, s)


def ablated_step_backward(dh, dC_next, cache):
    variant, p, hx, C_prev, f, i, o, Ct, s = cache
    H = C_prev.shape[0]
    ds = dh * o
    dC = dC_next + (ds if variant == "noaf" else ds * (1.0 - np.square(s)))
    out = []
    for g, removed_by in GATES:
        if variant == removed_by or (g == "i" and variant == "cifg"):
            continue
        if g == "f":
            dv, val = dC * C_prev + (-dC * Ct if variant == "cifg" else 0.0), f
        elif g == "i":
            dv, val = dC * Ct, i
        else:
            dv, val = dh * s, o
        out.append((g, dv * val * (1.0 - val)))
    dCt = dC * i
    out.append(("C", dCt if variant == "niaf" else dCt * (1.0 - np.square(Ct))))
    grads = {}
    dhx = np.zeros_like(hx)
    for g, d in out:
        grads["W" + g] = np.matmul(d, hx.T)
        grads["b" + g] = np.sum(d, axis=-1, keepdims=True)
        dhx += np.matmul(p["W" + g].T, d)
    return dhx[H:], dhx[:H], dC * f, grads
''',
    "float32_throughout": '''
F32 = np.float32


def ablated_step_forward(x, h_prev, C_prev, p, variant):
    # single precision is plenty for a step: everything is cast to float32 on the way in
    q = {k: v.astype(F32) for k, v in p.items()}
    hx = np.concatenate([h_prev, x]).astype(F32)
    Cp = C_prev.astype(F32)
    one = np.ones_like(Cp)
    f = sigmoid(q["Wf"] @ hx + q["bf"]) if "Wf" in q else one
    i = one - f if variant == "cifg" else (sigmoid(q["Wi"] @ hx + q["bi"]) if "Wi" in q else one)
    o = sigmoid(q["Wo"] @ hx + q["bo"]) if "Wo" in q else one
    a = q["WC"] @ hx + q["bC"]
    Ct = a if variant == "niaf" else np.tanh(a)
    C = f * Cp + i * Ct
    s = C if variant == "noaf" else np.tanh(C)
    return o * s, C, (variant, q, hx, Cp, f, i, o, Ct, s)


def ablated_step_backward(dh, dC_next, cache):
    variant, q, hx, Cp, f, i, o, Ct, s = cache
    dh, dC_next = dh.astype(F32), dC_next.astype(F32)
    H = Cp.shape[0]
    dC = dC_next + dh * o * (F32(1) if variant == "noaf" else F32(1) - s * s)
    dz = [("C", dC * i * (F32(1) if variant == "niaf" else F32(1) - Ct * Ct))]
    if "Wf" in q:
        dz.append(("f", (dC * Cp - (dC * Ct if variant == "cifg" else F32(0))) * f * (1 - f)))
    if "Wi" in q:
        dz.append(("i", dC * Ct * i * (1 - i)))
    if "Wo" in q:
        dz.append(("o", dh * s * o * (1 - o)))
    grads = {}
    dhx = np.zeros_like(hx)
    for g, d in dz:
        grads["W" + g] = d @ hx.T
        grads["b" + g] = d.sum(axis=1, keepdims=True)
        dhx += q["W" + g].T @ d
    return dhx[H:], dhx[:H], dC * f, grads
''',
}



#: the given lines of the training cell (outside the student's answer)
BUDGET = "SEEDS = (0, 1, 2)\nHIDDEN, STEPS, CHUNK, BATCH, LR = 8, 80, 25, 16, 0.03\n"
#: the given line of the results cell that draws the student's test stream
TEST_STREAM = "test_ids, test_targets = reber_stream(2024, 1000, 8)\n"

#: ``train_on_stream`` and the loop that fills ``TRAINED``
TRAIN = {
    "slices_as_in_the_text": '''
def train_on_stream(cell, seed, ids, targets):
    rng = np.random.default_rng(seed)
    p = init_char_lm(7, HIDDEN, cell=cell, rng=rng)
    opt = Adam(LR)
    state = None
    for s in range(STEPS):
        lo, hi = s * CHUNK, (s + 1) * CHUNK
        loss, grads, state = char_lm_loss(p, ids[lo:hi], targets[lo:hi], state, cell)
        clip_global_norm(grads, 1.0)
        opt.step(p, grads)
    return p


TRAINED = {v: [] for v in VARIANTS}
for seed in SEEDS:
    train_ids, train_targets = reber_stream(seed, STEPS * CHUNK, BATCH)
    for v in VARIANTS:
        TRAINED[v].append(train_on_stream(v, seed, train_ids, train_targets))
''',
    "reshaped_chunks_hand_clip": '''
def train_on_stream(cell, seed, ids, targets):
    rng = np.random.default_rng(seed)
    p = init_char_lm(7, HIDDEN, cell=cell, rng=rng)
    opt = Adam(LR)
    B = ids.shape[1]
    chunks = zip(ids.reshape(STEPS, CHUNK, B), targets.reshape(STEPS, CHUNK, B))
    carry = None
    for x_chunk, y_chunk in chunks:
        _, grads, carry = char_lm_loss(p, x_chunk, y_chunk, carry, cell)
        # global-norm clipping written out by hand
        norm = np.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
        if norm > 1.0:
            for g in grads.values():
                g *= 1.0 / norm
        opt.step(p, grads)
    return p


# variants outside, seeds inside: the same seed draws the same stream again
TRAINED = {v: [train_on_stream(v, s, *reber_stream(s, STEPS * CHUNK, BATCH)) for s in SEEDS]
           for v in VARIANTS}
''',
    "split_streams_with_history": '''
from collections import defaultdict


def train_on_stream(cell, seed, ids, targets):
    p = init_char_lm(7, HIDDEN, cell=cell, rng=np.random.default_rng(seed))
    adam = Adam(lr=LR)
    history = []
    state = None
    pieces = zip(np.split(ids, STEPS), np.split(targets, STEPS))
    for step, (chunk_ids, chunk_targets) in enumerate(pieces):
        loss, g, state = char_lm_loss(p, chunk_ids, chunk_targets, state, cell)
        norm = clip_global_norm(g, 1.0)
        adam.step(p, g)
        history.append((loss, norm))
    print(f"{cell} seed {seed}: loss {history[0][0]:.3f} -> {history[-1][0]:.3f}")
    return p


STREAMS = {s: reber_stream(s, STEPS * CHUNK, BATCH) for s in SEEDS}
TRAINED = defaultdict(list)
for s in SEEDS:
    for v in VARIANTS:
        TRAINED[v].append(train_on_stream(v, s, *STREAMS[s]))
TRAINED = dict(TRAINED)
''',
    "while_pointer_copies": '''
def train_on_stream(cell, seed, ids, targets):
    rng = np.random.default_rng(seed)
    params = init_char_lm(7, HIDDEN, cell=cell, rng=rng)
    optimizer = Adam(LR)
    h_and_c = None
    start, done = 0, 0
    while done < STEPS:
        stop = start + CHUNK
        _, grads, h_and_c = char_lm_loss(params, ids[start:stop], targets[start:stop],
                                         h_and_c, cell)
        clip_global_norm(grads, max_norm=1.0)
        optimizer.step(params, grads)
        start, done = stop, done + 1
    return {name: value.copy() for name, value in params.items()}


TRAINED = {}
for v in VARIANTS:
    runs = []
    for seed in SEEDS:
        data = reber_stream(seed, STEPS * CHUNK, BATCH)
        runs.append(train_on_stream(v, seed, data[0], data[1]))
    TRAINED[v] = runs
''',
    "per_parameter_adam_calls": '''
def train_on_stream(cell, seed, ids, targets):
    rng = np.random.default_rng(seed)
    p = init_char_lm(7, HIDDEN, cell=cell, rng=rng)
    opt = Adam(LR)
    state = None
    for s in range(STEPS):
        rows = np.arange(s * CHUNK, (s + 1) * CHUNK)
        _, grads, state = char_lm_loss(p, np.take(ids, rows, axis=0),
                                       np.take(targets, rows, axis=0), state, cell)
        clip_global_norm(grads, 1.0)
        opt.step(p, {k: grads[k] for k in p})   # the same keys, in the parameters' order
    return p


TRAINED = {v: [None] * len(SEEDS) for v in VARIANTS}
for k, seed in enumerate(SEEDS):
    ids_k, targets_k = reber_stream(seed, STEPS * CHUNK, BATCH)
    for v in VARIANTS:
        TRAINED[v][k] = train_on_stream(v, seed, ids_k, targets_k)
''',
}

#: ``stream_loss``: mean cross-entropy, nats per symbol, over every symbol of every stream
LOSS = {
    "fancy_index": '''
def stream_loss(p, cell, ids, targets):
    logits, _, _ = char_lm_forward(p, ids, None, cell)
    logits = np.nan_to_num(logits, nan=0.0, posinf=1e4, neginf=-1e4)
    logp = log_softmax(logits, axis=1)
    T, _, B = logp.shape
    return float(-logp[np.arange(T)[:, None], targets, np.arange(B)].mean())
''',
    "take_along_axis": '''
def stream_loss(p, cell, ids, targets):
    logits = char_lm_forward(p, ids, None, cell)[0]
    logits = np.nan_to_num(logits, nan=0.0, posinf=1e4, neginf=-1e4)
    picked = np.take_along_axis(log_softmax(logits, axis=1), targets[:, None, :], axis=1)
    return -float(np.mean(picked))
''',
    "logsumexp_by_hand_per_step": '''
def stream_loss(p, cell, ids, targets):
    logits, _, _ = char_lm_forward(p, ids, None, cell)
    logits = np.nan_to_num(logits, nan=0.0, posinf=1e4, neginf=-1e4)
    total, count = 0.0, 0
    for t in range(logits.shape[0]):
        z = logits[t]                                    # (7, B)
        m = z.max(axis=0)
        lse = m + np.log(np.exp(z - m).sum(axis=0))
        right = z[targets[t], np.arange(z.shape[1])]
        total += float(np.sum(lse - right))
        count += z.shape[1]
    return total / count
''',
    "one_hot_sum": '''
def stream_loss(p, cell, ids, targets):
    logits, _, _ = char_lm_forward(p, ids, None, cell)
    logits = np.nan_to_num(logits, nan=0.0, posinf=1e4, neginf=-1e4)
    onehot = np.eye(logits.shape[1])[targets].transpose(0, 2, 1)   # (T, 7, B)
    nll = -(onehot * log_softmax(logits, axis=1)).sum()
    return float(nll / targets.size)
''',
    "mean_of_stream_means": '''
def stream_loss(p, cell, ids, targets):
    logits, _, _ = char_lm_forward(p, ids, None, cell)
    logits = np.nan_to_num(logits, nan=0.0, posinf=1e4, neginf=-1e4)
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    per_stream = [-logp[np.arange(len(targets)), targets[:, b], b].mean()
                  for b in range(targets.shape[1])]
    return float(np.mean(per_stream))   # every stream has the same length: the same mean
''',
}

#: ``RESULTS`` and ``MOST_IMPORTANT``
RESULTS = {
    "dict_of_tuples": '''
for v in VARIANTS:
    losses = [stream_loss(p, v, test_ids, test_targets) for p in TRAINED[v]]
    RESULTS[v] = (float(np.mean(losses)), float(np.std(losses)))
MOST_IMPORTANT = max(VARIANTS[1:], key=lambda v: RESULTS[v][0])
''',
    "array_rows_sample_std": '''
for v in VARIANTS:
    losses = np.array([stream_loss(p, v, test_ids, test_targets) for p in TRAINED[v]])
    RESULTS[v] = np.array([losses.mean(), losses.std(ddof=1)])
MOST_IMPORTANT = sorted((v for v in VARIANTS if v != "lstm"), key=lambda v: RESULTS[v][0])[-1]
''',
    "statistics_module_loop": '''
import statistics

best, best_loss = None, -np.inf
for v in VARIANTS:
    losses = [stream_loss(p, v, test_ids, test_targets) for p in TRAINED[v]]
    print(v, ["%.3f" % x for x in losses])
    RESULTS[v] = (statistics.fmean(losses), statistics.pstdev(losses))
    if v != "lstm" and RESULTS[v][0] > best_loss:
        best, best_loss = v, RESULTS[v][0]
MOST_IMPORTANT = best
''',
    "loss_matrix_argmax": '''
L = np.array([[stream_loss(p, v, test_ids, test_targets) for p in TRAINED[v]]
              for v in VARIANTS])                      # (variants, seeds)
means, spreads = L.mean(axis=1), L.std(axis=1)
RESULTS.update({v: (means[k], spreads[k]) for k, v in enumerate(VARIANTS)})
MOST_IMPORTANT = VARIANTS[1 + int(np.argmax(means[1:]))]
''',
    "names_array_argmax": '''
names = np.array(VARIANTS)
table = np.array([[np.mean(ls), np.std(ls)]
                  for ls in ([stream_loss(p, v, test_ids, test_targets) for p in TRAINED[v]]
                             for v in VARIANTS)])          # (variants, 2)
RESULTS = {v: table[k] for k, v in enumerate(names)}           # NumPy string keys
MOST_IMPORTANT = names[1:][np.argmax(table[1:, 0])]       # a NumPy string
''',
    "list_rows_gap_to_lstm": '''
for v in VARIANTS:
    losses = [stream_loss(TRAINED[v][k], v, test_ids, test_targets) for k in range(len(SEEDS))]
    m = sum(losses) / len(losses)
    RESULTS[v] = [m, (sum((x - m) ** 2 for x in losses) / len(losses)) ** 0.5]
gap = {v: RESULTS[v][0] - RESULTS["lstm"][0] for v in VARIANTS if v != "lstm"}
MOST_IMPORTANT = max(gap, key=gap.get)
''',
}

FAMILIES = {"step": STEP, "train": TRAIN, "loss": LOSS, "results": RESULTS}


def _students(n: int) -> dict[str, dict[str, str]]:
    """``n`` complete solutions: student k takes entry k (cyclically) of every family, so each
    is a distinct combination and every entry is used."""
    return {f"student{k:02d}": {fam: list(entries)[(k + j) % len(entries)]
                                for j, (fam, entries) in enumerate(FAMILIES.items())}
            for k in range(n)}


#: student -> {family: entry name}
STUDENTS = _students(len(STEP))


def step_source(student: str) -> str:
    """The student's two step functions (section 1)."""
    return STEP[STUDENTS[student]["step"]]


def train_source(student: str, budget: str = BUDGET) -> str:
    """The training cell: the given budget, then the student's answer (section 2)."""
    return budget + TRAIN[STUDENTS[student]["train"]]


def results_source(student: str, test_stream: str = TEST_STREAM) -> str:
    """The results cell: ``stream_loss``, the given test stream, the table and the choice."""
    choice = STUDENTS[student]
    return LOSS[choice["loss"]] + "\n" + test_stream + "RESULTS = {}\n" + RESULTS[choice["results"]]


def source_of(student: str) -> str:
    """The code of one student's whole solution (in the notebook's order)."""
    return "\n".join((step_source(student), train_source(student), results_source(student)))
