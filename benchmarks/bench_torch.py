"""The char-LM training step of ``bench_lstm.py`` against PyTorch's CPU LSTM, in one process.

PyTorch is not a dependency of the project: run this with any Python that has ``torch`` and
``numpy`` (see benchmarks/README.md)::

    python benchmarks/bench_torch.py [--configs a,b,c] [--rounds N] [--quick]

``--quick`` runs tiny shapes for one round, to check that the script works.

Both sides compute the same step from the same weights: one-hot inputs (V = 65) -> LSTM ->
output layer -> mean softmax cross-entropy -> full backward, no optimiser update. The torch
side is ``torch.nn.LSTM`` + ``torch.nn.Linear`` + ``cross_entropy`` + ``backward()``, with the
weight mapping of ``make_torch_fixtures.py``; before timing, the two losses and the gradients
of the output layer must agree (float64: 1e-9 relative), so that both time the same work.

Timing: the two are run in alternating blocks (the first call of each block untimed, a short
pause between blocks so that the other library's worker threads go idle, the order of the two
blocks swapped every round), and the printed figures are the medians over the rounds: ms per
step of each, the ratio numpy / torch of each round's pair, and each side's GFLOP/s as a
fraction of the numpy matmul throughput measured at the start (as in ``bench_lstm.py``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_lstm import (
    CONFIGS,
    DTYPES,
    QUICK_CONFIGS,
    _block,
    _Parser,
    char_lm_step,
    init_char_lm_params,
    load_average,
    matmul_peak,
    step_flops,
    warm_up_blas,
)

TORCH_GATES = ("i", "f", "C", "o")  # PyTorch's row order (i, f, g, o), g = C̃


def torch_step_fn(p: dict[str, np.ndarray], inputs: np.ndarray, targets: np.ndarray) -> Callable:
    """A function running one torch training step; returns (loss, dWy as numpy)."""
    import torch

    V, H = p["Wy"].shape
    T, B = inputs.shape
    dtype = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[
        p["Wy"].dtype
    ]
    lstm = torch.nn.LSTM(V, H, dtype=dtype)
    out = torch.nn.Linear(H, V, dtype=dtype)

    def stacked(name: str, cols: slice) -> torch.Tensor:
        return torch.from_numpy(np.vstack([p[name + g][:, cols] for g in TORCH_GATES]))

    with torch.no_grad():
        lstm.weight_ih_l0.copy_(stacked("W", slice(H, None)))
        lstm.weight_hh_l0.copy_(stacked("W", slice(None, H)))
        lstm.bias_ih_l0.copy_(stacked("b", slice(None))[:, 0])
        lstm.bias_hh_l0.zero_()
        out.weight.copy_(torch.from_numpy(p["Wy"]))
        out.bias.copy_(torch.from_numpy(p["by"][:, 0]))
    idx = torch.from_numpy(inputs)
    tgt = torch.from_numpy(targets).reshape(-1)

    def step() -> tuple[float, np.ndarray]:
        lstm.zero_grad(set_to_none=True)
        out.zero_grad(set_to_none=True)
        x = torch.nn.functional.one_hot(idx, V).to(dtype)  # (T, B, V)
        hs, _ = lstm(x)
        loss = torch.nn.functional.cross_entropy(out(hs).reshape(T * B, V), tgt)
        loss.backward()
        return float(loss.detach()), out.weight.grad.numpy()

    return step


def compare(
    name: str, V: int, H: int, B: int, T: int, dtype: type, rounds: int, peak: float
) -> dict[str, Any]:
    """Check that both sides agree, then time them in alternating blocks."""
    rng = np.random.default_rng(1)
    p = init_char_lm_params(V, H, rng, dtype)
    inputs = rng.integers(0, V, (T, B))
    targets = rng.integers(0, V, (T, B))
    torch_step = torch_step_fn(p, inputs, targets)
    loss_np, grads = char_lm_step(p, inputs, targets)
    loss_t, dWy_t = torch_step()
    tol = 1e-9 if dtype == np.float64 else 1e-4
    rel = np.linalg.norm(grads["Wy"] - dWy_t) / np.linalg.norm(dWy_t)
    if abs(loss_np - loss_t) > tol * abs(loss_t) or rel > tol:
        raise SystemExit(
            f"bench_torch.py: {name} {np.dtype(dtype).name}: numpy and torch disagree "
            f"(loss {loss_np!r} vs {loss_t!r}, dWy relative error {rel:.1e})"
        )
    numpy_fn = lambda: char_lm_step(p, inputs, targets)  # noqa: E731
    timed = 2 if H >= 512 else 5
    sides = {"numpy": numpy_fn, "torch": torch_step}
    times: dict[str, list[float]] = {"numpy": [], "torch": []}
    for r in range(rounds):
        for side in ("numpy", "torch") if r % 2 == 0 else ("torch", "numpy"):
            time.sleep(0.05)
            times[side].append(_block(sides[side], timed))
    ratios = [n / t for n, t in zip(times["numpy"], times["torch"], strict=True)]
    flops = step_flops(V, H, B, T)
    t_np, t_torch = float(np.median(times["numpy"])), float(np.median(times["torch"]))
    return {
        "config": name, "dtype": np.dtype(dtype).name, "rounds": rounds,
        "numpy_ms": t_np * 1e3, "torch_ms": t_torch * 1e3,
        "numpy_over_torch": float(np.median(ratios)),
        "ratio_range": (float(min(ratios)), float(max(ratios))),
        "numpy_peak_fraction": flops / t_np / 1e9 / peak,
        "torch_peak_fraction": flops / t_torch / 1e9 / peak,
    }


def format_row(r: dict[str, Any]) -> str:
    lo, hi = r["ratio_range"]
    return (
        f"{r['config']:<3} {r['dtype']:<7} {r['numpy_ms']:9.2f} {r['torch_ms']:9.2f} "
        f"{r['numpy_over_torch']:8.2f} ({lo:.2f}-{hi:.2f}) "
        f"{100 * r['numpy_peak_fraction']:6.1f}% {100 * r['torch_peak_fraction']:6.1f}%"
    )


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(description="The NumPy char-LM training step against torch.nn.LSTM.")
    parser.add_argument("--configs", default="a,b,c", help="which shapes (default a,b,c)")
    parser.add_argument("--rounds", type=int, default=8, help="alternating rounds (default 8)")
    parser.add_argument("--quick", action="store_true", help="tiny shapes, one round")
    args = parser.parse_args(argv)
    wanted = args.configs.split(",")
    shapes = [c for c in (QUICK_CONFIGS if args.quick else CONFIGS) if c[0] in wanted]
    if not shapes or len(shapes) != len(wanted):
        names = ",".join(c[0] for c in CONFIGS)
        parser.error(f"--configs: choose from {names}, got {args.configs}")
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    try:
        import torch
    except ImportError:
        parser.error("needs torch, which the project does not install: run it with a Python "
                     "that has torch and numpy (benchmarks/README.md)")
    print(f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} "
          f"threads), load average {load_average()}")
    warm_up_blas(0.05 if args.quick else 0.5)
    sizes, repeats = ((256,), 1) if args.quick else ((1024, 2048), 7)
    peaks = {np.dtype(d).name: max(matmul_peak(d, sizes, repeats).values()) for d in DTYPES}
    rounds = 1 if args.quick else args.rounds
    print(f"numpy matmul throughput (best of {repeats}): "
          + ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in peaks.items()))
    header = (f"{'cfg':<3} {'dtype':<7} {'numpy ms':>9} {'torch ms':>9} {'np/torch':>8} "
              f"{'(range)':<11} {'np %pk':>7} {'tc %pk':>7}")
    print(header + "\n" + "-" * len(header))
    for name, V, H, B, T in shapes:
        for dtype in DTYPES:
            print(format_row(compare(name, V, H, B, T, dtype, rounds,
                                     peaks[np.dtype(dtype).name])), flush=True)
    print(f"load average after: {load_average()}")
    print("ms: median over the rounds; np/torch: median of the per-round ratios (< 1: numpy "
          "faster); %pk: GFLOP/s of the step over the numpy matmul throughput above.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
