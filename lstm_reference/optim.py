"""Optimizers and gradient clipping, with their state as plain arrays (so it can be saved).

Each optimizer updates a parameter dict *in place*: ``opt.step(params, grads)``. Its state is a
flat ``dict[str, np.ndarray]`` (``state_dict()`` / ``load_state_dict()``) — moment estimates per
parameter plus a step counter — which :mod:`lstm_reference.checkpoint` writes into an ``.npz``.
"""

from __future__ import annotations

import numpy as np

from lstm_reference.init import Params

CLIP_VALUE = 5.0  # LSTMs still explode now and then: clip every gradient entry to [-5, 5]


def clip_elementwise(grads: Params, limit: float = CLIP_VALUE) -> Params:
    """Clip every gradient entry to [-limit, limit], in place. Returns ``grads``."""
    for g in grads.values():
        np.clip(g, -limit, limit, out=g)
    return grads


def global_norm(grads: Params) -> float:
    """√(Σ over all parameters of Σ g²)."""
    return float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values())))


def clip_global_norm(grads: Params, max_norm: float) -> float:
    """Rescale all gradients together, in place, so their global norm is at most ``max_norm``.

    Keeps the direction of the update (elementwise clipping does not). Returns the norm before
    clipping.
    """
    norm = global_norm(grads)
    if norm > max_norm:
        scale = max_norm / (norm + 1e-12)
        for g in grads.values():
            g *= scale
    return norm


class Optimizer:
    """Base class: a learning rate, per-parameter state arrays and a step counter."""

    name = "base"
    slots: tuple[str, ...] = ()

    def __init__(self, lr: float) -> None:
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        self.lr = float(lr)
        self.t = 0
        self.state: dict[str, Params] = {s: {} for s in self.slots}

    def _slot(self, slot: str, key: str, like: np.ndarray) -> np.ndarray:
        buf = self.state[slot].get(key)
        if buf is None:
            buf = self.state[slot][key] = np.zeros_like(like)
        return buf

    def step(self, params: Params, grads: Params) -> None:
        """Update every ``params[k]`` in place from ``grads[k]``."""
        self.t += 1
        for k, p in params.items():
            self._update(k, p, grads[k])

    def _update(self, key: str, p: np.ndarray, g: np.ndarray) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, np.ndarray]:
        """Flat arrays: ``"<slot>/<param>"`` for each moment buffer, plus ``"t"``."""
        out = {f"{s}/{k}": v for s in self.slots for k, v in self.state[s].items()}
        out["t"] = np.array(self.t, dtype=np.int64)
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_dict` returned (arrays are copied)."""
        self.t = int(state["t"])
        self.state = {s: {} for s in self.slots}
        for name, v in state.items():
            if name == "t":
                continue
            slot, _, key = name.partition("/")
            if slot not in self.state:
                raise ValueError(f"{self.name} has no state {slot!r}")
            self.state[slot][key] = np.array(v, copy=True)


class SGD(Optimizer):
    """p ← p − lr·v, with v ← momentum·v + g (plain gradient descent when momentum = 0)."""

    name = "sgd"
    slots = ("velocity",)

    def __init__(self, lr: float = 0.1, momentum: float = 0.0) -> None:
        super().__init__(lr)
        self.momentum = float(momentum)

    def _update(self, key: str, p: np.ndarray, g: np.ndarray) -> None:
        if self.momentum == 0.0:
            p -= self.lr * g
            return
        v = self._slot("velocity", key, p)
        v *= self.momentum
        v += g
        p -= self.lr * v


class Adagrad(Optimizer):
    """p ← p − lr·g / √(G + eps), with G the running sum of g² (per entry)."""

    name = "adagrad"
    slots = ("sum_sq",)

    def __init__(self, lr: float = 0.1, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.eps = float(eps)

    def _update(self, key: str, p: np.ndarray, g: np.ndarray) -> None:
        G = self._slot("sum_sq", key, p)
        G += g * g
        p -= self.lr * g / np.sqrt(G + self.eps)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias-corrected first and second moments."""

    name = "adam"
    slots = ("m", "v")

    def __init__(
        self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def _update(self, key: str, p: np.ndarray, g: np.ndarray) -> None:
        m = self._slot("m", key, p)
        v = self._slot("v", key, p)
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += (1.0 - self.beta2) * (g * g)
        m_hat = m / (1.0 - self.beta1**self.t)
        v_hat = v / (1.0 - self.beta2**self.t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adagrad": Adagrad, "adam": Adam}


def make_optimizer(name: str, lr: float) -> Optimizer:
    """An optimizer by name (``sgd``, ``adagrad``, ``adam``)."""
    try:
        cls = OPTIMIZERS[name]
    except KeyError:
        valid = ", ".join(OPTIMIZERS)
        raise ValueError(f"unknown optimizer {name!r}; choose from {valid}") from None
    return cls(lr=lr)
