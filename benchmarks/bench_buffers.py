"""How much do reused work arrays save? The char-LM step with and without lstm_reference.buffers.

The step of ``bench_lstm.py`` is timed in alternating blocks with the library as it is and with
``buffers.empty`` replaced by plain ``np.empty`` (fresh memory on every call), in one process.
Prints the median time of each and the median ratio of the paired blocks.

Usage::

    python benchmarks/bench_buffers.py [--rounds N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_lstm import char_lm_step, init_char_lm_params

import lstm_reference.lstm as lstm_module
from lstm_reference import buffers

SHAPES = [("a", 65, 128, 32, 50), ("c", 65, 128, 1, 50)]  # (name, V, H, B, T)
FRESH = SimpleNamespace(empty=lambda shape, dtype: np.empty(shape, dtype))


def block(fn, timed: int = 5) -> float:
    """Median seconds of ``timed`` calls after one untimed call."""
    fn()
    ts = []
    for _ in range(timed):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="paired blocks per shape")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        print("bench_buffers.py: error: --rounds must be at least 1", file=sys.stderr)
        return 2
    header = f"{'cfg':<4}{'H':>5}{'B':>4}{'T':>4}  {'reused ms':>10}{'fresh ms':>10}"
    print(header + f"{'fresh/reused':>14}")
    for name, V, H, B, T in SHAPES:
        rng = np.random.default_rng(1)
        p = init_char_lm_params(V, H, rng, np.float64)
        inputs, targets = rng.integers(0, V, (T, B)), rng.integers(0, V, (T, B))
        times: dict[str, list[float]] = {"reused": [], "fresh": []}

        def step(p=p, inputs=inputs, targets=targets) -> None:
            char_lm_step(p, inputs, targets)

        try:
            for _ in range(args.rounds):
                for kind, module in (("reused", buffers), ("fresh", FRESH)):
                    lstm_module.buffers = module
                    times[kind].append(block(step))
        finally:
            lstm_module.buffers = buffers
        ratio = np.median(np.array(times["fresh"]) / np.array(times["reused"]))
        print(f"{name:<4}{H:>5}{B:>4}{T:>4}  {1e3 * np.median(times['reused']):>10.2f}"
              f"{1e3 * np.median(times['fresh']):>10.2f}{ratio:>13.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
