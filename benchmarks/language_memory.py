"""Experiments on the long-range memory of the built-in corpus: does a char model carry the
country across filler sentences?

Trains a character model on the built-in corpus in phases (a curriculum), each phase with its
own range of filler sentences per story, truncated-BPTT length and number of Adam steps, and
prints after every ``--eval-every`` steps the loss and the accuracy of the language after
"speak fluent " on fresh stories with exactly 0, 1, 2 and 3 long filler sentences (the
hardest distances; chance 10 %).

    python benchmarks/language_memory.py --hidden-size 64 --forget-bias 3 \\
        --phases 0-0:150:600,0-1:300:1500,0-2:400:2000
    python benchmarks/language_memory.py --long-fillers-only --phases 0-2:400:3000

``--phases`` is a comma-separated list of ``MIN-MAX:SEQ_LENGTH:STEPS``; ``--init shipped``
continues from the checkpoint in ``lstm_reference/assets``. Slow: minutes to tens of minutes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_reference.checkpoint import load_pretrained
from lstm_reference.data import corpus
from lstm_reference.data.corpus import alphabet, colah_corpus
from lstm_reference.model import init_char_lm
from lstm_reference.optim import make_optimizer
from lstm_reference.training import LMRun, language_accuracy, train_char_lm
from lstm_reference.vocab import Vocab


def parse_phases(spec: str) -> list[tuple[int, int, int, int]]:
    """'0-0:150:600,0-2:400:3000' -> [(min_fillers, max_fillers, seq_length, steps), ...]."""
    phases = []
    for part in spec.split(","):
        fillers, seq, steps = part.split(":")
        lo, hi = (int(x) for x in fillers.split("-"))
        phases.append((lo, hi, int(seq), int(steps)))
    return phases


def accuracy_by_fillers(params, vocab: Vocab, cell: str, n: int = 100) -> dict[int, float]:
    """Language accuracy on ``n`` fresh stories with exactly k long filler sentences, k = 0..3."""
    return {
        k: language_accuracy(params, vocab, colah_corpus(n, seed=777 + k, min_fillers=k,
                                                          max_fillers=k, long_only=True),
                             cell)["accuracy"]
        for k in range(4)
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--init", choices=("scratch", "shipped"), default="scratch")
    ap.add_argument("--cell", default="lstm")
    ap.add_argument("--hidden-size", type=int, default=64)
    ap.add_argument("--forget-bias", type=float, default=1.0)
    ap.add_argument("--chrono", type=int, default=0, metavar="T_MAX",
                    help="chrono initialisation (Tallec & Ollivier 2018): forget bias log(u), "
                    "u ~ U(1, T_MAX - 1), input bias its negative; overrides --forget-bias")
    ap.add_argument("--plain-fillers", action="store_true",
                    help="every slot of the filler templates keeps only its first word, so the "
                    "fillers are fixed sentences (an experiment on how much their randomness "
                    "matters)")
    ap.add_argument("--long-fillers-only", action="store_true",
                    help="train on stories whose fillers are all long sentences (the corpus "
                    "before the short ones were added: no country-language gap under 35 "
                    "characters except with 0 fillers)")
    ap.add_argument("--max-norm", type=float, default=None, help="global gradient-norm clip")
    ap.add_argument("--phases", default="0-0:150:600,0-2:400:3000",
                    help="MIN-MAX:SEQ_LENGTH:STEPS,... (default %(default)s)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--stories", type=int, default=4000, help="stories per phase")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    args = ap.parse_args(argv)
    try:
        phases = parse_phases(args.phases)
    except ValueError:
        ap.error(f"--phases: expected MIN-MAX:SEQ_LENGTH:STEPS,..., got {args.phases!r}")

    if args.plain_fillers:
        corpus._SLOTS = {slot: words[:1] for slot, words in corpus._SLOTS.items()}
    vocab = Vocab(alphabet())
    if args.init == "shipped":
        ckpt = load_pretrained()
        params, cell = ckpt.params, ckpt.cell
    else:
        cell = args.cell
        params = init_char_lm(len(vocab), args.hidden_size, cell,
                              np.random.default_rng(args.seed), np.dtype(args.dtype))
        if "bf" in params:
            params["bf"][:] = args.forget_bias
        if args.chrono and "bf" in params and "bi" in params:
            u = np.random.default_rng(args.seed + 1).uniform(1, args.chrono - 1, params["bf"].shape)
            params["bf"][:] = np.log(u)
            params["bi"][:] = -np.log(u)
    optimizer = make_optimizer("adam", args.lr)
    start, total = time.perf_counter(), 0
    for k, (lo, hi, seq_length, steps) in enumerate(phases):
        text = colah_corpus(args.stories, seed=100 * args.seed + k, min_fillers=lo,
                            max_fillers=hi, long_only=args.long_fillers_only)
        run = LMRun(params, optimizer, cell, args.batch_size, seq_length)
        done = 0
        while done < steps:
            n = min(args.eval_every, steps - done)
            train_char_lm(run, vocab.encode(text), n, max_norm=args.max_norm)
            done, total = done + n, total + n
            acc = accuracy_by_fillers(params, vocab, cell)
            print(f"phase {k} (fillers {lo}-{hi}, seq {seq_length}) step {total}: "
                  f"loss {np.mean(run.losses[-n:]):.4f}, accuracy by fillers "
                  + ", ".join(f"{f}: {a:.0%}" for f, a in acc.items())
                  + f"  [{time.perf_counter() - start:.0f} s]", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
