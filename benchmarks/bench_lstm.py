"""How fast is a training step of the NumPy LSTM character model?

A char-LM training step is: one-hot inputs (V = 65) -> LSTM (``lstm_forward``) -> output layer
Wy (V, H), by -> mean softmax cross-entropy -> full backward (``lstm_backward``), no optimiser
update. For each shape and dtype the benchmark reports the median time per step, tokens per
second (T·B per step), GFLOP/s with

    FLOPs/step = 3 · (2·B·T·4H·(D + H) + 2·B·T·H·V)      (D = V: matmuls only, forward = 1/3)

and that rate as a fraction of this machine's matmul throughput, measured in the same run with
large square matmuls (best of several). At B = 1 it also times the per-gate, per-step
implementation of ``naive_lstm.py`` and prints the speed-up, measured in alternation with the
fast step (the median of the per-round ratios).

Usage::

    python benchmarks/bench_lstm.py [--quick] [--json FILE] [--repeats N]

``--quick`` runs tiny shapes once, to check that the script works (not how fast anything is).
Timings on a shared machine move by ±20 %; the 1-minute load average is printed before and
after so that a disturbed run can be recognised.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from naive_lstm import naive_char_lm_loss

from lstm_reference.lstm import (
    init_lstm_params,
    lstm_backward,
    lstm_forward,
    seq_matmul,
    seq_outer,
)

Params = dict[str, np.ndarray]

# (name, V, H, B, T)
CONFIGS = [("a", 65, 128, 32, 50), ("b", 65, 512, 64, 100), ("c", 65, 128, 1, 50)]
QUICK_CONFIGS = [("a", 65, 16, 4, 8), ("b", 65, 32, 8, 8), ("c", 65, 16, 1, 8)]
DTYPES = (np.float32, np.float64)


# --------------------------------------------------------------------------- the step


def init_char_lm_params(V: int, H: int, rng: np.random.Generator, dtype: type) -> Params:
    """LSTM parameters for input size V plus the output layer Wy (V, H), by (V, 1)."""
    p = init_lstm_params(V, H, rng, dtype)
    p["Wy"] = (rng.standard_normal((V, H)) * np.sqrt(2.0 / (V + H))).astype(dtype)
    p["by"] = np.zeros((V, 1), dtype)
    return p


def char_lm_step(p: Params, inputs: np.ndarray, targets: np.ndarray) -> tuple[float, Params]:
    """Loss and gradients of the char LM for int inputs/targets (T, B), from a zero state."""
    T, B = inputs.shape
    V, H = p["Wy"].shape
    dtype = p["Wy"].dtype
    t_idx, b_idx = np.ogrid[:T, :B]
    X = np.zeros((T, V, B), dtype)
    X[t_idx, inputs, b_idx] = 1.0
    zeros = np.zeros((H, B), dtype)
    hs, _, cache = lstm_forward(X, zeros, zeros, p)
    # Output layer and softmax, for all T steps at once: probs (T, V, B)
    probs = seq_matmul(p["Wy"], hs)
    probs += p["by"]
    probs -= probs.max(axis=1, keepdims=True)
    np.exp(probs, out=probs)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -float(np.log(probs[t_idx, targets, b_idx]).mean())
    dlogits = probs  # softmax − one-hot(target), over T·B predictions
    dlogits[t_idx, targets, b_idx] -= 1.0
    dlogits *= 1.0 / (T * B)
    dhs = seq_matmul(np.ascontiguousarray(p["Wy"].T), dlogits)
    _, _, grads = lstm_backward(dhs, cache)
    grads["Wy"] = seq_outer(dlogits, hs)
    grads["by"] = dlogits.sum(axis=(0, 2))[:, None]
    return loss, grads


def step_flops(V: int, H: int, B: int, T: int) -> int:
    """Matmul FLOPs of one training step (forward + backward), input size D = V."""
    return 3 * (2 * B * T * 4 * H * (V + H) + 2 * B * T * H * V)


# --------------------------------------------------------------------------- timing


def _times(fn: Callable[[], Any], repeats: int, budget_s: float) -> list[float]:
    """One untimed call, then ``repeats`` timed calls, or more while within the budget.

    Slow calls (one alone over a third of the budget) get only 3 repetitions, so that a run on
    a busy machine still ends in reasonable time.
    """
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    wanted = min(repeats, 3) if budget_s and first > budget_s / 3 else repeats
    out: list[float] = []
    start = time.perf_counter()
    while len(out) < wanted or (time.perf_counter() - start < budget_s and len(out) < 5 * repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _interleaved(
    fast: Callable[[], Any], naive: Callable[[], Any], rounds: int
) -> tuple[float, float]:
    """Median ms of ``naive`` and the median speed-up of ``fast``, timed in alternating blocks.

    Each round times a block of ``naive`` calls and then a block of ``fast`` calls, the first
    call of each block untimed (it pays for the other's traces in the caches), so that a slow
    phase of a shared machine hits both sides of the ratio alike.
    """
    naive_ts, ratios = [], []
    for _ in range(rounds):
        n = _block(naive, 2)
        f = _block(fast, 5)
        naive_ts.append(n)
        ratios.append(n / f)
    return float(np.median(naive_ts)) * 1e3, float(np.median(ratios))


def _block(fn: Callable[[], Any], timed: int) -> float:
    """Median seconds of ``timed`` calls after one untimed call."""
    fn()
    ts = []
    for _ in range(timed):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def warm_up_blas(seconds: float) -> None:
    """Keep BLAS busy for a moment so that its threads are running on every core."""
    a = np.ones((512, 512))
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        a @ a


def matmul_peak(dtype: type, sizes: tuple[int, ...], repeats: int) -> dict[str, float]:
    """Best GFLOP/s of n×n·n×n matmuls over the given sizes (best of ``repeats`` each)."""
    rng = np.random.default_rng(0)
    best: dict[str, float] = {}
    for n in sizes:
        a = rng.standard_normal((n, n)).astype(dtype)
        b = rng.standard_normal((n, n)).astype(dtype)
        c = np.empty((n, n), dtype)
        ts = _times(lambda a=a, b=b, c=c: np.matmul(a, b, out=c), repeats, 0.0)
        best[str(n)] = 2 * n**3 / min(ts) / 1e9
    return best


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def blas_name() -> str:
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:
        return "unknown"


def run(quick: bool, repeats: int) -> dict[str, Any]:
    """Every measurement of the benchmark, as a JSON-ready dict."""
    configs = QUICK_CONFIGS if quick else CONFIGS
    result: dict[str, Any] = {
        "quick": quick,
        "numpy": np.__version__,
        "blas": blas_name(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "load_average_before": load_average(),
        "blas_threads_env": {
            k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS") if k in os.environ
        },
        "flops_formula": "3*(2*B*T*4H*(D+H) + 2*B*T*H*V), D = V",
    }
    warm_up_blas(0.05 if quick else 0.5)
    peak_sizes = (256,) if quick else (1024, 2048)
    peaks = {}
    for dtype in DTYPES:
        per_size = matmul_peak(dtype, peak_sizes, 1 if quick else repeats + 2)
        peaks[np.dtype(dtype).name] = {"best_gflops": max(per_size.values()), "by_size": per_size}
    result["matmul_peak"] = peaks

    rows = []
    for name, V, H, B, T in configs:
        for dtype in DTYPES:
            rng = np.random.default_rng(1)
            p = init_char_lm_params(V, H, rng, dtype)
            inputs = rng.integers(0, V, (T, B))
            targets = rng.integers(0, V, (T, B))
            budget = 0.0 if quick else 3.0
            ts = _times(lambda p=p, i=inputs, g=targets: char_lm_step(p, i, g), repeats, budget)
            med = float(np.median(ts))
            flops = step_flops(V, H, B, T)
            peak = peaks[np.dtype(dtype).name]["best_gflops"]
            row = {
                "config": name, "V": V, "H": H, "B": B, "T": T,
                "dtype": np.dtype(dtype).name,
                "repeats": len(ts),
                "ms_median": med * 1e3,
                "ms_min": min(ts) * 1e3,
                "tokens_per_s": T * B / med,
                "gflops": flops / med / 1e9,
                "fraction_of_peak": flops / med / 1e9 / peak,
            }
            if B == 1:
                naive_ms, ratio = _interleaved(
                    lambda p=p, i=inputs, g=targets: char_lm_step(p, i, g),
                    lambda p=p, i=inputs[:, 0], g=targets[:, 0]: naive_char_lm_loss(p, i, g),
                    1 if quick else 2 * repeats,
                )
                row["naive_ms_median"] = naive_ms
                row["speedup_vs_naive"] = ratio
            rows.append(row)
    result["steps"] = rows
    result["load_average_after"] = load_average()
    return result


# --------------------------------------------------------------------------- report


def format_report(result: dict[str, Any]) -> str:
    """The human-readable table."""
    lines = [
        f"numpy {result['numpy']} ({result['blas']}), Python {result['python']}, "
        f"{result['cpu_count']} CPUs, load average {_fmt_load(result['load_average_before'])} "
        f"before / {_fmt_load(result['load_average_after'])} after"
        + (f", {result['blas_threads_env']}" if result["blas_threads_env"] else "")
        + ("   [--quick: tiny shapes, timings meaningless]" if result["quick"] else ""),
        "",
        "matmul throughput (square n×n·n×n, best of several):",
    ]
    load, cpus = result["load_average_before"], result["cpu_count"]
    if load is not None and cpus and load > 0.5 * cpus:  # measured before this run started
        lines[1:1] = [
            f"WARNING: other processes are using the machine (load average {load:.1f} on "
            f"{cpus} CPUs): the timings below are not representative.",
        ]
    for dtype, peak in result["matmul_peak"].items():
        sizes = ", ".join(f"n={n}: {g:.1f}" for n, g in peak["by_size"].items())
        lines.append(f"  {dtype}: {peak['best_gflops']:.1f} GFLOP/s   ({sizes})")
    lines += [
        "",
        f"char-LM training step (forward + backward), FLOPs/step = {result['flops_formula']}",
        "",
    ]
    header = (
        f"{'cfg':<3} {'V':>3} {'H':>4} {'B':>3} {'T':>4} {'dtype':<7} {'ms/step':>9} "
        f"{'tokens/s':>9} {'GFLOP/s':>8} {'% peak':>7} {'naive ms':>9} {'speed-up':>8}"
    )
    lines += [header, "-" * len(header)]
    for r in result["steps"]:
        naive = f"{r['naive_ms_median']:9.2f}" if "naive_ms_median" in r else f"{'':9}"
        speedup = f"{r['speedup_vs_naive']:7.1f}x" if "speedup_vs_naive" in r else f"{'':8}"
        lines.append(
            f"{r['config']:<3} {r['V']:>3} {r['H']:>4} {r['B']:>3} {r['T']:>4} {r['dtype']:<7} "
            f"{r['ms_median']:9.2f} {r['tokens_per_s']:9.0f} {r['gflops']:8.1f} "
            f"{100 * r['fraction_of_peak']:6.1f}% {naive} {speedup}"
        )
    lines += [
        "",
        "ms/step: median over the repetitions; % peak: GFLOP/s of the step over the matmul "
        "throughput above; naive: benchmarks/naive_lstm.py (per gate, per step, B = 1).",
    ]
    return "\n".join(lines)


def _fmt_load(x: float | None) -> str:
    return "?" if x is None else f"{x:.2f}"


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr and exit code 2, without the usage text."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(description="Training-step throughput of the NumPy LSTM char model.")
    parser.add_argument("--quick", action="store_true", help="tiny shapes, one repetition")
    parser.add_argument("--json", metavar="FILE", help="also write the results to FILE as JSON")
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions (default 5)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    if args.json and not Path(args.json).resolve().parent.is_dir():
        parser.error(f"--json: directory of {args.json} does not exist")
    result = run(args.quick, 1 if args.quick else args.repeats)
    print(format_report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
