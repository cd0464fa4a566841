"""Train a character-level language model from the command line.

    lstm-train                                  # the built-in "I grew up in France…" corpus
    lstm-train --data docs/paper_notes.md --seq-length 100 --batch-size 16 --prime "The LSTM"
    lstm-train --checkpoint run.npz --plot loss.png
    lstm-train --resume run.npz --epochs 20 --checkpoint run.npz

Prints a progress bar (loss, tokens per second), after every epoch the training loss and the
validation loss and perplexity (held-out text: the last tenth of a --data file, fresh stories
for the built-in corpus), a sample every --sample-every steps and at the end. On the built-in
corpus it also reports how often the model picks the right language after "speak fluent " in
freshly generated stories, next to the chance level. Bad input gives a one-line error and exit
code 2.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from lstm_reference.cells import CELLS
from lstm_reference.checkpoint import (
    Checkpoint,
    CheckpointError,
    load_checkpoint,
    rng_from_state,
    save_checkpoint,
)
from lstm_reference.data.corpus import (
    LANGUAGES,
    alphabet,
    char_signals,
    colah_corpus,
    language_positions,
    max_fillers_per_story,
)
from lstm_reference.model import init_char_lm, sample
from lstm_reference.optim import OPTIMIZERS, make_optimizer
from lstm_reference.training import (
    LMRun,
    TrainingDivergedError,
    evaluate_char_lm,
    language_accuracy,
    steps_per_epoch,
    train_char_lm,
)
from lstm_reference.vocab import Vocab

PROG = "lstm-train"
EVAL_STORIES = 300
# The defaults are the recipe of the shipped checkpoint, stopped at 110 epochs (4840 steps):
# long enough for the language memory (see docs/library.md, "The default run").
DEFAULT_STORIES = 4000
DEFAULT_FILLERS = (0, 3)
DEFAULT_SEQ_LENGTH = 300
DEFAULT_EPOCHS = 110
MAX_VAL_STORIES = 100  # validation stories of the built-in corpus (a few seconds per epoch)


class UsageError(Exception):
    """Bad input: reported as one line on stderr, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage block
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 0.5], got {text!r}") from None
    if not 0.0 <= value <= 0.5:
        raise argparse.ArgumentTypeError(f"must be in [0, 0.5], got {text}")
    return value


def _filler_range(text: str) -> tuple[int, int]:
    lo, sep, hi = text.partition("-")
    try:
        pair = (int(lo), int(hi if sep else lo))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MIN-MAX such as 1-3, got {text!r}") from None
    most = max_fillers_per_story()
    if not 0 <= pair[0] <= pair[1] <= most:
        raise argparse.ArgumentTypeError(f"need 0 <= MIN <= MAX <= {most}, got {text!r}")
    return pair


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Show defaults, except where there is none."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None or action.default is False:
            return action.help or ""
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to render ``--help``)."""
    p = _Parser(
        prog=PROG,
        description=(
            "Train a character-level language model (LSTM, GRU, vanilla RNN or any registered "
            "cell) with truncated backpropagation through time, then print a sample. Without "
            "--data it trains on the built-in corpus of stories (\"I grew up in France. … I "
            "speak fluent French.\") and reports how often it predicts the right language."
        ),
        formatter_class=_Help,
    )
    data = p.add_argument_group("data")
    data.add_argument("--data", type=Path, metavar="PATH",
                      help="UTF-8 text file (default: built-in corpus)")
    data.add_argument("--stories", type=_positive_int, default=None, metavar="N",
                      help=f"number of stories in the built-in corpus (default {DEFAULT_STORIES})")
    data.add_argument("--fillers", type=_filler_range, default=None, metavar="MIN-MAX",
                      help="filler sentences between country and language in the built-in "
                      "corpus (default 0-3); with --resume, a new range continues training on "
                      "new stories (a curriculum)")
    model = p.add_argument_group("model")
    model.add_argument("--cell", default="lstm", choices=sorted(CELLS), metavar="CELL",
                       help=f"recurrent cell: {', '.join(sorted(CELLS))}")
    model.add_argument("--hidden-size", type=_positive_int, default=64, metavar="H",
                       help="hidden units")
    model.add_argument("--forget-bias", type=float, default=1.0, metavar="B",
                       help="initial forget-gate bias of LSTM-family cells")
    model.add_argument("--dtype", default="float32", choices=("float32", "float64"),
                       help="floating-point type of the parameters (float32 is about 2x faster)")
    train = p.add_argument_group("training")
    train.add_argument("--epochs", type=_positive_int, default=DEFAULT_EPOCHS,
                       help="total epochs (with --resume: train until this many are done)")
    train.add_argument("--seq-length", type=_positive_int, default=None,
                       help=f"characters per truncated-BPTT chunk (default {DEFAULT_SEQ_LENGTH});"
                       " with --resume, a new length for the epochs still to come")
    train.add_argument("--batch-size", type=_positive_int, default=32,
                       help="parallel streams over the text")
    train.add_argument("--optimizer", default="adam", choices=sorted(OPTIMIZERS),
                       help=f"update rule: {', '.join(sorted(OPTIMIZERS))}")
    train.add_argument("--lr", type=_positive_float, default=3e-3, help="learning rate")
    train.add_argument("--clip", type=_positive_float, default=5.0,
                       help="clip every gradient entry to [-CLIP, CLIP]")
    train.add_argument("--max-norm", type=_positive_float, default=None,
                       help="also clip the global gradient norm to this value")
    train.add_argument("--seed", type=int, default=0, help="seeds the weights, corpus and sample")
    train.add_argument("--val-fraction", type=_fraction, default=0.1, metavar="F",
                       help="share of a --data file (its end) held out for the validation loss;"
                       " the built-in corpus is validated on as many fresh stories instead")
    io = p.add_argument_group("checkpoints and output")
    io.add_argument("--checkpoint", type=Path, metavar="PATH",
                    help="save a checkpoint here after every epoch")
    io.add_argument("--resume", type=Path, metavar="PATH",
                    help="continue from this checkpoint (its model and optimizer settings win)")
    io.add_argument("--sample-length", type=int, default=300,
                    help="characters to generate at the end (0: none)")
    io.add_argument("--sample-every", type=int, default=0, metavar="N",
                    help="also print a short sample every N training steps (0: never)")
    io.add_argument("--prime", default=None, metavar="TEXT",
                    help="text the samples continue (default: the first character of the "
                    "training text); every character must be in the vocabulary")
    io.add_argument("--temperature", type=_positive_float, default=0.8,
                    help="sampling temperature (lower: more conservative)")
    io.add_argument("--plot", type=Path, metavar="PNG",
                    help="write the training and validation loss curves to this PNG at the end")
    io.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _read_text(path: Path) -> str:
    if not path.exists():
        raise UsageError(f"data file {path} does not exist")
    if not path.is_file():
        raise UsageError(f"data path {path} is not a file")
    raw = path.read_bytes()
    if not raw:
        raise UsageError(f"data file {path} is empty")
    if b"\x00" in raw:
        raise UsageError(f"data file {path} looks binary (it contains NUL bytes); give UTF-8 text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UsageError(
            f"data file {path} is not UTF-8 text (invalid byte at offset {err.start})"
        ) from None


def _config_from_args(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "cell": args.cell,
        "hidden_size": args.hidden_size,
        "seq_length": args.seq_length or DEFAULT_SEQ_LENGTH,
        "batch_size": args.batch_size,
        "optimizer": args.optimizer,
        "lr": args.lr,
        "clip": args.clip,
        "max_norm": args.max_norm,
        "seed": args.seed,
        "data": str(args.data) if args.data is not None else None,
        "stories": args.stories or DEFAULT_STORIES,
        "fillers": list(args.fillers or DEFAULT_FILLERS),
        "forget_bias": args.forget_bias,
        "dtype": args.dtype,
    }


def _corpus(config: dict[str, Any], n_stories: int, seed: int) -> str:
    lo, hi = config.get("fillers", DEFAULT_FILLERS)
    return colah_corpus(n_stories, seed=seed, min_fillers=lo, max_fillers=hi)


def _setup(args: argparse.Namespace) -> tuple[str, LMRun, Vocab, dict[str, Any], int, Any]:
    """Text, the run, vocabulary, config, epochs done and the sampling RNG."""
    if args.resume is not None:
        try:
            ckpt = load_checkpoint(args.resume)
        except CheckpointError as err:
            raise UsageError(str(err)) from None
        config = dict(ckpt.config)
        if ckpt.vocab is None or "cell" not in config:
            raise UsageError(f"{args.resume} is not a language-model training checkpoint")
        data = args.data if args.data is not None else config.get("data")
        config["data"] = None if data is None else str(data)
        if args.fillers is not None:
            config["fillers"] = list(args.fillers)
        if args.stories is not None:
            config["stories"] = args.stories
        if args.seq_length is not None:
            config["seq_length"] = args.seq_length
        text = (
            _read_text(Path(data)) if data is not None
            else _corpus(config, config["stories"], config["seed"])
        )
        vocab = ckpt.vocab
        unknown = sorted(set(text) - set(vocab.chars))
        if unknown:
            raise UsageError(
                f"the text has characters the checkpoint's vocabulary lacks: {''.join(unknown)!r}"
            )
        opt = make_optimizer(config["optimizer"], config["lr"])
        opt.load_state_dict(ckpt.optimizer_state)
        run = LMRun(
            ckpt.params, opt, config["cell"], config["batch_size"], config["seq_length"],
            step=ckpt.step, state=ckpt.state,
            losses=[] if ckpt.losses is None else [float(x) for x in ckpt.losses],
        )
        return text, run, vocab, config, ckpt.epoch, rng_from_state(ckpt.rng_state)
    config = _config_from_args(args)
    if args.data is not None:
        text = _read_text(args.data)
    else:
        text = _corpus(config, config["stories"], args.seed)
    # the built-in corpus always uses its full alphabet, so fresh stories can be scored
    vocab = Vocab.from_text(text) if args.data is not None else Vocab(alphabet())
    rng = np.random.default_rng(args.seed)
    params = init_char_lm(len(vocab), args.hidden_size, args.cell, rng, np.dtype(args.dtype))
    if "bf" in params:
        params["bf"][:] = args.forget_bias
    run = LMRun(params, make_optimizer(args.optimizer, args.lr), args.cell, args.batch_size,
                config["seq_length"])
    return text, run, vocab, config, 0, rng


def _save(path: Path, run: LMRun, vocab: Vocab, config: dict, epoch: int, rng: Any) -> None:
    save_checkpoint(
        path,
        Checkpoint(
            params=run.params, config=config, vocab=vocab,
            optimizer_state=run.optimizer.state_dict(), step=run.step, epoch=epoch,
            rng_state=rng.bit_generator.state, state=run.state, losses=np.array(run.losses),
        ),
    )


def _split(text: str, config: dict[str, Any]) -> tuple[str, str]:
    """(training text, validation text). A --data file keeps its last ``val_fraction`` for
    validation; the built-in corpus is validated on that share of freshly drawn stories."""
    fraction = config.get("val_fraction", 0.1)
    if config["data"] is None:
        n = min(round(config["stories"] * fraction), MAX_VAL_STORIES)
        return text, _corpus(config, n, config["seed"] + 7919) if n else ""
    n = int(len(text) * fraction)
    return (text[:-n], text[-n:]) if n >= 3 else (text, "")


def _prime_ids(prime: str | None, text: str, vocab: Vocab) -> tuple[str, np.ndarray]:
    prime = text[0] if not prime else prime
    unknown = sorted(set(prime) - set(vocab.chars))
    if unknown:
        raise UsageError(f"--prime has characters the vocabulary lacks: {''.join(unknown)!r}")
    return prime, vocab.encode(prime)


def loss_plot(path: Path, losses: Sequence[float], val: Sequence[tuple[int, float]]) -> None:
    """Training loss per step (light), its moving average and the validation loss per epoch."""
    import matplotlib

    matplotlib.use("Agg")
    from lstm_reference.plots import loss_figure

    fig = loss_figure({"training": losses}, smooth=min(50, max(2, len(losses) // 20)))
    ax = fig.axes[0]
    if val:
        steps, values = zip(*val, strict=True)
        ax.plot(steps, values, "o-", color="black", label="validation (held-out text)")
        ax.legend()
    ax.set_title("Training and validation loss (nats per character)")
    fig.savefig(path, dpi=150)


def train(args: argparse.Namespace) -> int:
    """Run the whole command; raises :class:`UsageError` on bad input."""
    import time

    from tqdm import tqdm

    text, run, vocab, config, epoch0, rng = _setup(args)
    config.setdefault("val_fraction", args.val_fraction)
    train_text, val_text = _split(text, config)
    ids = vocab.encode(train_text)
    val_ids = vocab.encode(val_text) if val_text else None
    prime, prime_ids = _prime_ids(args.prime, text, vocab)
    if args.sample_every < 0:
        raise UsageError("--sample-every must be >= 0")
    per_epoch = steps_per_epoch(len(ids), run.batch_size, run.seq_length)
    if per_epoch == 0:
        need = run.batch_size * (run.seq_length + 1)
        raise UsageError(
            f"the text has {len(ids)} characters, shorter than one training chunk: "
            f"need at least {need} (batch size {run.batch_size} × (seq length "
            f"{run.seq_length} + 1)); use a longer text or smaller --batch-size/--seq-length"
        )
    source = config["data"] or f"built-in corpus ({config['stories']} stories)"
    held = f"{len(val_text)} held out for validation" if val_text else "no validation"
    print(
        f"{source}: {len(ids)} training characters ({held}), vocabulary {len(vocab)}; "
        f"cell {run.cell}, H={config['hidden_size']}, {per_epoch} steps per epoch"
    )
    if epoch0 >= args.epochs:
        print(f"checkpoint already has {epoch0} epochs (--epochs {args.epochs}): nothing to train")
    tokens_per_step = run.batch_size * run.seq_length
    val_history: list[tuple[int, float]] = []
    started = time.perf_counter()
    for epoch in range(epoch0, args.epochs):
        bar = tqdm(total=per_epoch, desc=f"epoch {epoch + 1}/{args.epochs}", unit="step",
                   disable=args.no_progress, leave=False, file=sys.stderr)
        t0 = time.perf_counter()

        def progress(step: int, loss: float, bar: Any = bar, t0: float = t0) -> None:
            bar.update(1)
            rate = bar.n * tokens_per_step / max(time.perf_counter() - t0, 1e-9)
            bar.set_postfix(loss=f"{loss:.3f}", tok_s=f"{rate:,.0f}", refresh=False)
            if args.sample_every and step % args.sample_every == 0:
                out = sample(run.params, prime_ids, 100, args.temperature, rng, run.cell)
                bar.write(f"[step {step}] {prime + vocab.decode(out)!r}", file=sys.stdout)

        n_before = len(run.losses)
        try:
            train_char_lm(run, ids, per_epoch, clip=config["clip"], max_norm=config["max_norm"],
                          callback=progress)
        except TrainingDivergedError as err:
            bar.close()
            raise UsageError(f"training diverged: {err}; try a smaller --lr") from None
        bar.close()
        seconds = time.perf_counter() - t0
        mean = float(np.mean(run.losses[n_before:]))
        line = f"epoch {epoch + 1}/{args.epochs}  loss {mean:.4f}"
        if val_ids is not None:
            val = evaluate_char_lm(run.params, val_ids, run.cell)
            val_history.append((run.step, val))
            line += f"  val loss {val:.4f}  val perplexity {math.exp(val):.2f}"
        print(f"{line}  ({seconds:.1f} s, {per_epoch * tokens_per_step / seconds:,.0f} "
              "tokens/s)", flush=True)
        if args.checkpoint is not None:
            _save(args.checkpoint, run, vocab, config, epoch + 1, rng)
    if epoch0 < args.epochs:
        print(f"trained {args.epochs - epoch0} epochs in {time.perf_counter() - started:.0f} s")
    if args.sample_length > 0:
        out = sample(run.params, prime_ids, args.sample_length, args.temperature, rng, run.cell)
        print(f"--- sample (temperature {args.temperature}) ---")
        print(prime + vocab.decode(out))
        print("---")
    if config["data"] is None:
        report_language_accuracy(run, vocab, config)
    if args.plot is not None:
        loss_plot(args.plot, run.losses, val_history)
        print(f"loss curves written to {args.plot}")
    return 0


def report_language_accuracy(run: LMRun, vocab: Vocab, config: dict[str, Any]) -> None:
    """Print the language score on fresh stories, overall and per number of filler sentences
    (the distance between the country and the language grows with it)."""
    lo, hi = config.get("fillers", DEFAULT_FILLERS)
    seed = config["seed"] + 1_000_003
    parts, correct, total = [], 0.0, 0.0
    for k in range(lo, hi + 1):
        fresh = colah_corpus(EVAL_STORIES // (hi - lo + 1), seed=seed + k, min_fillers=k,
                             max_fillers=k)
        score = language_accuracy(run.params, vocab, fresh, run.cell)
        parts.append(f"{k} filler{'s' if k != 1 else ''}: {score['accuracy']:.0%}")
        correct += score["accuracy"] * score["n"]
        total += score["n"]
    print(
        f'language after "speak fluent ": {correct / total:.1%} correct on {int(total)} fresh '
        f"stories (chance {1 / len(LANGUAGES):.1%}); by filler sentences between country and "
        f"language: {', '.join(parts)}"
    )
    k = max(hi, 1)  # the hardest case: only long fillers, as many as training had
    hard = colah_corpus(EVAL_STORIES // 3, seed=seed - 1, min_fillers=k, max_fillers=k,
                        long_only=True)
    score = language_accuracy(run.params, vocab, hard, run.cell)
    print(f"with {k} long filler sentence{'s' if k != 1 else ''} only (the country "
          f"{_distance_range(hard)} characters back): {score['accuracy']:.0%}")


def _distance_range(text: str) -> str:
    """'MIN-MAX': characters from the end of the country's name to the language, over text."""
    ends = np.flatnonzero(np.diff(char_signals(text)["remembered_country"] >= 0, prepend=0) == 1)
    starts = np.array([pos for pos, _ in language_positions(text)])
    gaps = starts - ends[: len(starts)]
    return f"{gaps.min()}-{gaps.max()}"


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point (``lstm-train``)."""
    args = build_parser().parse_args(argv)
    if args.sample_length < 0:
        print(f"{PROG}: error: --sample-length must be >= 0", file=sys.stderr)
        return 2
    try:
        with np.errstate(all="ignore"):  # overflow is caught as a NaN loss, with a clear message
            return train(args)
    except UsageError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # e.g. an unwritable --checkpoint path
        print(f"{PROG}: error: {err.strerror or err}: {err.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
