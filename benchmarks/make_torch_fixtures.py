"""Compute reference results with PyTorch and store them for ``tests/test_torch_parity.py``.

PyTorch is not a dependency of the project. Run this with any Python that has ``torch`` and
``numpy`` installed::

    python benchmarks/make_torch_fixtures.py [--out tests/data/torch_parity.npz]

It draws random float64 weights, inputs, initial states and upstream gradients, loads them into
``torch.nn.LSTM`` (and ``torch.nn.GRU``), runs forward and backward there, and saves the inputs
together with everything PyTorch computed: outputs, final states and the gradients of every
weight, the input sequence and the initial state. The test then runs ``lstm_reference`` on the
same inputs and compares; PyTorch's numbers are independent evidence that the reference is right.

This module imports nothing from ``lstm_reference``: the weight mapping is written out here.

LSTM (column layout of the project: x (D, B), h and C (H, B), each gate matrix (H, H + D)
reading ``[h_prev; x]``). PyTorch stacks the gates in the order (i, f, g, o) with g = C̃::

    weight_ih_l0 = [Wi[:, H:]; Wf[:, H:]; WC[:, H:]; Wo[:, H:]]       (4H, D)
    weight_hh_l0 = [Wi[:, :H]; Wf[:, :H]; WC[:, :H]; Wo[:, :H]]       (4H, H)
    bias_ih_l0 + bias_hh_l0 = [bi; bf; bC; bo]                         (4H,)

PyTorch's sequences are (T, B, features), i.e. ``x_torch[t] = X[t].T``.

GRU in its ``reset_after`` form (PyTorch gate order (r, z, n); PyTorch's update gate is
z' = 1 − z, so the z rows are negated)::

    weight_ih_l0 = [Wr[:, H:]; −Wz[:, H:]; Wh[:, H:]]       (3H, D)
    weight_hh_l0 = [Wr[:, :H]; −Wz[:, :H]; Wh[:, :H]]       (3H, H)
    bias_ih_l0 + bias_hh_l0 = br (r rows), −bz (z rows)
    bias_ih_l0 = bh, bias_hh_l0 = bhn (n rows: not interchangeable, bhn is scaled by r)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "torch_parity.npz"

# name: (T, D, H, B, weight scale). The saturated case has pre-activations beyond ±710, where
# e^(±a) overflows in float64: the gates must still come out as exact 0 / 1 and the
# gradients as PyTorch's.
LSTM_CASES = {
    "lstm": (7, 5, 4, 3, 0.6),
    "lstm_b1": (5, 6, 3, 1, 0.6),
    "lstm_saturated": (4, 3, 5, 2, 300.0),
}
GRU_CASES = {"gru_reset_after": (6, 5, 4, 3, 0.6)}


def _random_sequence_inputs(
    rng: np.random.Generator, T: int, D: int, H: int, B: int
) -> dict[str, np.ndarray]:
    return {
        "X": rng.standard_normal((T, D, B)),
        "h0": rng.standard_normal((H, B)),
        "dhs": rng.standard_normal((T, H, B)),
        "dh_T": rng.standard_normal((H, B)),
    }


def lstm_case(rng: np.random.Generator, T: int, D: int, H: int, B: int, scale: float) -> dict:
    """Random LSTM inputs in the project's layout plus PyTorch's results, as numpy arrays."""
    import torch

    case = _random_sequence_inputs(rng, T, D, H, B)
    case["C0"] = rng.standard_normal((H, B))
    case["dC_T"] = rng.standard_normal((H, B))
    for g in ("f", "i", "C", "o"):
        case["W" + g] = scale * rng.standard_normal((H, H + D)) / np.sqrt(H + D)
        case["b" + g] = rng.standard_normal((H, 1))
    torch_order = ("i", "f", "C", "o")
    b = np.concatenate([case["b" + g] for g in torch_order])[:, 0]
    split = rng.standard_normal(4 * H)  # any split of b between the two PyTorch biases
    weights = {
        "weight_ih_l0": np.concatenate([case["W" + g][:, H:] for g in torch_order]),
        "weight_hh_l0": np.concatenate([case["W" + g][:, :H] for g in torch_order]),
        "bias_ih_l0": b - split,
        "bias_hh_l0": split,
    }
    lstm = torch.nn.LSTM(D, H, dtype=torch.float64)
    with torch.no_grad():
        for name, value in weights.items():
            getattr(lstm, name).copy_(torch.from_numpy(value))
    x = torch.from_numpy(case["X"].transpose(0, 2, 1).copy()).requires_grad_()
    h0 = torch.from_numpy(case["h0"].T[None].copy()).requires_grad_()
    c0 = torch.from_numpy(case["C0"].T[None].copy()).requires_grad_()
    out, (h_n, c_n) = lstm(x, (h0, c0))
    loss = (
        (out * torch.from_numpy(case["dhs"].transpose(0, 2, 1).copy())).sum()
        + (h_n[0] * torch.from_numpy(case["dh_T"].T.copy())).sum()
        + (c_n[0] * torch.from_numpy(case["dC_T"].T.copy())).sum()
    )
    loss.backward()
    case.update({"torch_" + k: v for k, v in weights.items()})
    case.update(
        {
            "torch_out": out.detach().numpy(),
            "torch_h_n": h_n.detach().numpy(),
            "torch_c_n": c_n.detach().numpy(),
            "torch_grad_input": x.grad.numpy(),
            "torch_grad_h0": h0.grad.numpy(),
            "torch_grad_c0": c0.grad.numpy(),
        }
    )
    for name in weights:
        case["torch_grad_" + name] = getattr(lstm, name).grad.numpy()
    # How far into saturation the case goes (largest |pre-activation| of any gate).
    Wx, Wh = weights["weight_ih_l0"], weights["weight_hh_l0"]
    hs_prev = np.concatenate([case["h0"].T[None], case["torch_out"][:-1]])
    pre = case["X"].transpose(0, 2, 1) @ Wx.T + hs_prev @ Wh.T + b
    case["max_abs_preactivation"] = np.array(np.abs(pre).max())
    return case


def gru_case(rng: np.random.Generator, T: int, D: int, H: int, B: int, scale: float) -> dict:
    """Random GRU (reset_after form) inputs in the project's layout plus PyTorch's results."""
    import torch

    case = _random_sequence_inputs(rng, T, D, H, B)
    for g in ("z", "r", "h"):
        case["W" + g] = scale * rng.standard_normal((H, H + D)) / np.sqrt(H + D)
        case["b" + g] = rng.standard_normal((H, 1))
    case["bhn"] = rng.standard_normal((H, 1))
    split = rng.standard_normal(2 * H)  # split of the r and z biases between ih and hh
    weights = {
        "weight_ih_l0": np.concatenate([case["Wr"][:, H:], -case["Wz"][:, H:], case["Wh"][:, H:]]),
        "weight_hh_l0": np.concatenate([case["Wr"][:, :H], -case["Wz"][:, :H], case["Wh"][:, :H]]),
        "bias_ih_l0": np.concatenate(
            [case["br"][:, 0] - split[:H], -case["bz"][:, 0] - split[H:], case["bh"][:, 0]]
        ),
        "bias_hh_l0": np.concatenate([split, case["bhn"][:, 0]]),
    }
    gru = torch.nn.GRU(D, H, dtype=torch.float64)
    with torch.no_grad():
        for name, value in weights.items():
            getattr(gru, name).copy_(torch.from_numpy(value))
    x = torch.from_numpy(case["X"].transpose(0, 2, 1).copy()).requires_grad_()
    h0 = torch.from_numpy(case["h0"].T[None].copy()).requires_grad_()
    out, h_n = gru(x, h0)
    loss = (out * torch.from_numpy(case["dhs"].transpose(0, 2, 1).copy())).sum() + (
        h_n[0] * torch.from_numpy(case["dh_T"].T.copy())
    ).sum()
    loss.backward()
    case.update({"torch_" + k: v for k, v in weights.items()})
    case.update(
        {
            "torch_out": out.detach().numpy(),
            "torch_h_n": h_n.detach().numpy(),
            "torch_grad_input": x.grad.numpy(),
            "torch_grad_h0": h0.grad.numpy(),
        }
    )
    for name in weights:
        case["torch_grad_" + name] = getattr(gru, name).grad.numpy()
    return case


def build_all(seed: int = 20261125) -> dict[str, np.ndarray]:
    """Every case, flattened into ``{"<case>__<array>": array}`` for ``np.savez``."""
    import torch

    rng = np.random.default_rng(seed)
    arrays: dict[str, np.ndarray] = {
        "meta__torch_version": np.array(torch.__version__),
        "meta__numpy_version": np.array(np.__version__),
        "meta__seed": np.array(seed),
    }
    cases = {name: lstm_case(rng, *shape) for name, shape in LSTM_CASES.items()}
    cases.update({name: gru_case(rng, *shape) for name, shape in GRU_CASES.items()})
    for name, case in cases.items():
        for key, value in case.items():
            arrays[f"{name}__{key}"] = np.asarray(value)
    return arrays


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the .npz to write")
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args(argv)
    arrays = build_all(args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"wrote {args.out} ({len(arrays)} arrays, torch {arrays['meta__torch_version']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
