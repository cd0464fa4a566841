"""Does exercise 4's training recipe reach the grader's bar for every honest student?

``python benchmarks/ex4_training_robustness.py [--steps N] [--seeds K]``

Trains the LSTM with the notebook's own ``train`` (source solution: 16 units, Adam 0.01,
global-norm clip 1, batches of 32) at ``T = 50`` on the temporal-order data of each honest
generator of ``tests/honest/ex4_long_range.py`` (all pass the generator check; they differ only
in the order they draw random numbers) and of the source solution, for seeds ``0 … K-1``, and
prints each run's accuracy on 600 fresh sequences next to the check's bar
(``autograder.checks.ex4.LSTM_MIN_ACC``). A run below the bar is a student who followed the
notebook and still loses the points of ``test_trained``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from autograder.checks import ex4  # noqa: E402
from lstm_reference.data import tasks  # noqa: E402


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        sys.stderr.write(f"{self.prog}: {message}\n")
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="ex4_training_robustness", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150, help="training steps (notebook: 150)")
    parser.add_argument("--seeds", type=int, default=8, help="seeds 0 … K-1 per generator")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.seeds < 1:
        parser.error("--steps and --seeds must be at least 1")
    from honest import ex4_long_range as corpus
    from solution_code import solution_namespace

    ns = solution_namespace("ex4_long_range", skip=("experiment_answer", "controls_answer",
                                                    "gradient_flow_answer"))
    generators = {"source solution": ns["temporal_order"]}
    for name, source in corpus.GENERATOR.items():
        scope = dict(ns)
        exec(source, scope)
        generators[name] = scope["temporal_order"]
    X, y = tasks.temporal_order(ex4.EVAL_T, 600, 123)
    below = total = 0
    print(f"LSTM at T = {ex4.EVAL_T}, {args.steps} steps; bar {ex4.LSTM_MIN_ACC:.0%}")
    for name, generator in generators.items():
        accs = []
        for seed in range(args.seeds):
            p = ns["train"]("lstm", generator, ex4.EVAL_T, steps=args.steps, seed=seed)
            accs.append(ex4.accuracy(p, "lstm", X, y))
        below += sum(a < ex4.LSTM_MIN_ACC for a in accs)
        total += len(accs)
        print(f"{name:24s} " + " ".join(f"{a:4.0%}" for a in accs), flush=True)
    print(f"{below} of {total} runs below the bar")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
