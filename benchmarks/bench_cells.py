"""How fast is each registered cell's sequence pass, next to the LSTM's?

For every cell of ``lstm_reference.cells`` and each dtype, times one forward + full backward
pass over a (T, D, B) input (no output layer) and prints the best time of several interleaved
rounds and its ratio to the LSTM's. The cells run round-robin so that a change in machine load
hits all of them alike; CPU time of this process is measured (not wall time), which a busy
shared machine disturbs less. Ratios are the figure to read: the RNN does about a quarter of
the LSTM's matmul work, the GRU three quarters, CIFG and the three gate ablations three
quarters, peephole, NIAF and NOAF all of it.

Usage::

    python benchmarks/bench_cells.py [--T 50] [--D 65] [--H 128] [--B 32] [--rounds 12]

On a machine shared with other jobs, run it with ``OPENBLAS_NUM_THREADS=1``: the CPU time of
OpenBLAS threads that spin while waiting for a core then no longer counts against the cells.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_reference.cells import CELLS


def time_cells(T: int, D: int, H: int, B: int, dtype: type, rounds: int) -> dict[str, float]:
    """Best CPU seconds of forward + backward per cell."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((T, D, B)).astype(dtype)
    runs = {}
    for name, cell in CELLS.items():
        p = cell.init(D, H, rng, dtype)
        state = tuple(np.zeros((H, B), dtype) for _ in cell.state_names)
        dhs = rng.standard_normal((T, H, B)).astype(dtype)

        def run(cell=cell, p=p, state=state, dhs=dhs) -> None:
            _, _, cache = cell.forward(X, state, p)
            cell.backward(dhs, cache, None)

        run()  # warm-up
        runs[name] = run
    best = dict.fromkeys(runs, np.inf)
    for _ in range(rounds):
        for name, run in runs.items():
            t0 = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for dim, default in (("T", 50), ("D", 65), ("H", 128), ("B", 32)):
        parser.add_argument(f"--{dim}", type=int, default=default)
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args(argv)
    if min(args.T, args.D, args.H, args.B, args.rounds) <= 0:
        print("error: sizes and --rounds must be positive", file=sys.stderr)
        return 2
    print(f"T={args.T} D={args.D} H={args.H} B={args.B}, best of {args.rounds} rounds, "
          f"load average {os.getloadavg()[0]:.1f}")
    for dtype in (np.float32, np.float64):
        best = time_cells(args.T, args.D, args.H, args.B, dtype, args.rounds)
        print(f"{np.dtype(dtype).name}: forward + backward, CPU ms, ratio to lstm")
        for name, seconds in best.items():
            print(f"  {name:16s} {seconds * 1e3:8.2f}  {seconds / best['lstm']:5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
