"""Figures for looking inside recurrent networks (matplotlib, headless Agg backend).

Each ``*_figure`` function returns a :class:`matplotlib.figure.Figure`; the command line writes
them as PNGs::

    python -m lstm_reference.plots gates --out figures/            # shipped checkpoint
    python -m lstm_reference.plots cells --checkpoint model.npz --out figures/
    python -m lstm_reference.plots gradient-flow --length 100 --out figures/
    python -m lstm_reference.plots loss --checkpoint lstm.npz --checkpoint rnn.npz --out figures/
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from lstm_reference.analysis import best_tracking_unit, record_lstm
from lstm_reference.checkpoint import (
    Checkpoint,
    CheckpointError,
    load_checkpoint,
    load_pretrained,
)
from lstm_reference.data.corpus import char_signals, colah_corpus
from lstm_reference.init import Params
from lstm_reference.model import cell_params, get_cell_spec, initial_state
from lstm_reference.vocab import Vocab, one_hot

PROG = "lstm-plots"
GATE_TITLES = {"f": "forget gate f", "i": "input gate i", "o": "output gate o"}


# --------------------------------------------------------------------------- recording


def record_gates(p: Params, vocab: Vocab, text: str) -> dict[str, np.ndarray]:
    """Run an LSTM char model over ``text`` from the zero state (see ``analysis.record_lstm``).

    Returns ``f``, ``i``, ``o``, ``C``, ``h``, each (T, H): the gates, the cell state and the
    hidden state after reading every character.
    """
    if "Wf" not in p:
        raise ValueError("gate plots need an LSTM (parameters Wf, Wi, WC, Wo)")
    X = one_hot(vocab.encode(text), len(vocab), p["Wf"].dtype)  # (T, V, 1)
    zeros = np.zeros((p["bf"].shape[0], 1), p["Wf"].dtype)
    rec = record_lstm(X, zeros, zeros, p)
    return {k: rec[k][:, :, 0].astype(np.float64) for k in ("f", "i", "o", "C", "h")}


def pick_units(acts: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` units (columns of acts (T, H)) that vary most over time, in index order."""
    n = min(n, acts.shape[1])
    return np.sort(np.argsort(acts.std(axis=0))[::-1][:n])


def pick_moving_units(acts: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` units whose value changes most from step to step (not slow drifters)."""
    n = min(n, acts.shape[1])
    return np.sort(np.argsort(np.abs(np.diff(acts, axis=0)).mean(axis=0))[::-1][:n])


def _shade_spans(ax: plt.Axes, mask: np.ndarray, color: str, label: str) -> None:
    """Shade the runs of True in mask (T,) as vertical bands, one legend entry."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    for k, (a, b) in enumerate(zip(edges[::2], edges[1::2], strict=True)):
        ax.axvspan(a - 0.5, b - 0.5, color=color, alpha=0.35, lw=0, label=label if k == 0 else None)


def _char_label(c: str) -> str:
    return {" ": "␣", "\n": "↵"}.get(c, c)


def _char_axis(ax: plt.Axes, text: str) -> None:
    ax.set_xticks(range(len(text)))
    ax.set_xticklabels([_char_label(c) for c in text], fontsize=7, family="monospace")
    ax.tick_params(axis="x", length=0)


# --------------------------------------------------------------------------- figures


def gates_figure(p: Params, vocab: Vocab, text: str, n_units: int = 16) -> Figure:
    """Heatmaps of the forget, input and output gates (units × characters), values in [0, 1]."""
    rec = record_gates(p, vocab, text)
    units = pick_units(np.concatenate([rec["f"], rec["i"], rec["o"]]), n_units)
    T = len(text)
    fig, axes = plt.subplots(3, 1, figsize=(max(8.0, 0.13 * T + 2), 2.0 + 0.55 * len(units)),
                             sharex=True, layout="constrained")
    for ax, g in zip(axes, ("f", "i", "o"), strict=True):
        im = ax.imshow(rec[g][:, units].T, aspect="auto", cmap="viridis", vmin=0, vmax=1,
                       interpolation="nearest")
        ax.set_title(GATE_TITLES[g], loc="left", fontsize=10)
        ax.set_yticks(range(len(units)))
        ax.set_yticklabels([str(u) for u in units], fontsize=7)
        ax.set_ylabel("unit")
        fig.colorbar(im, ax=ax, label="activation", fraction=0.02, pad=0.01)
    _char_axis(axes[-1], text)
    axes[-1].set_xlabel("input character")
    fig.suptitle(f"LSTM gate activations over a sequence ({len(units)} most active units)")
    return fig


def cells_figure(p: Params, vocab: Vocab, text: str, n_units: int = 6) -> Figure:
    """Cell state C over the sequence, and tanh(C) as a heatmap.

    Shown: the unit whose C correlates most with being inside quotes, the one that best follows
    the bracket depth (when the text has quotes / brackets), then the units whose tanh(C) moves
    most from step to step. Quoted speech and parenthesised asides are shaded.
    """
    rec = record_gates(p, vocab, text)
    signals = char_signals(text)
    labels: dict[int, str] = {}
    for key, what in (("inside_quotes", "quotes"), ("bracket_depth", "brackets")):
        if signals[key].std() > 0:
            u, r = best_tracking_unit(rec["C"], signals[key])
            labels.setdefault(u, f"unit {u}: tracks {what} (r={r:+.2f})")
    for u in pick_moving_units(np.tanh(rec["C"]), n_units):
        if len(labels) >= n_units:
            break
        labels.setdefault(int(u), f"unit {u}")
    units = np.array(sorted(labels))
    T = len(text)
    fig, (ax_line, ax_map) = plt.subplots(
        2, 1, figsize=(max(8.0, 0.13 * T + 2), 7.0), sharex=True, layout="constrained",
        gridspec_kw={"height_ratios": [1.2, 1]},
    )
    for u in units:
        ax_line.plot(range(T), rec["C"][:, u], lw=1.3, label=labels[int(u)])
    _shade_spans(ax_line, signals["inside_quotes"] > 0, "gold", 'inside "…"')
    _shade_spans(ax_line, signals["bracket_depth"] > 0, "silver", "inside (…)")
    ax_line.axhline(0, color="grey", lw=0.6)
    ax_line.set_ylabel("cell state C")
    ax_line.set_title("cell-state evolution (the conveyor belt)", loc="left", fontsize=10)
    ax_line.legend(fontsize=7, ncol=4, loc="upper left", framealpha=0.9)
    ax_line.grid(alpha=0.3)
    im = ax_map.imshow(np.tanh(rec["C"][:, units]).T, aspect="auto", cmap="RdBu_r", vmin=-1,
                       vmax=1, interpolation="nearest")
    ax_map.set_yticks(range(len(units)))
    ax_map.set_yticklabels([str(u) for u in units], fontsize=7)
    ax_map.set_ylabel("unit")
    ax_map.set_title("tanh(C)", loc="left", fontsize=10)
    fig.colorbar(im, ax=ax_map, label="tanh(C)", fraction=0.02, pad=0.01)
    _char_axis(ax_map, text)
    ax_map.set_xlabel("input character")
    return fig


def gradient_flow(
    cell: str,
    T: int = 100,
    hidden: int = 32,
    input_size: int = 8,
    batch: int = 16,
    seed: int = 0,
    params: Params | None = None,
) -> np.ndarray:
    """‖∂L/∂h_t‖ for t = 1..T, with L = Σ h_T, averaged over the batch -> (T,).

    The cell (freshly initialised unless ``params`` are given) reads random one-hot inputs
    (T, input_size, batch) from the zero state. Entry t−1 is the norm of the gradient that
    reaches the hidden state after step t from the last step's output: how far back in time
    a learning signal travels. Computed by backpropagating from h_T into the state of every
    earlier step (a backward pass per step: O(T²), fine for T in the hundreds).
    """
    spec = get_cell_spec(cell)
    rng = np.random.default_rng(seed)
    p = spec.init(input_size, hidden, rng, np.float64) if params is None else cell_params(params)
    X = one_hot(rng.integers(input_size, size=(T, batch)), input_size)
    H = next(v for k, v in p.items() if k.startswith("b")).shape[0]
    states = [initial_state(spec, H, batch)]
    for t in range(T):  # the state after every step
        _, final, _ = spec.forward(X[t : t + 1], states[-1], p)
        states.append(final)
    norms = np.empty(T)
    norms[-1] = np.sqrt(H)  # ∂L/∂h_T is all ones
    for t in range(1, T):  # gradient into h_t: run steps t+1..T from the state after step t
        hs, _, cache = spec.forward(X[t:], states[t], p)
        dhs = np.zeros_like(hs)
        dhs[-1] = 1.0
        _, dstate, _ = spec.backward(dhs, cache, None)
        norms[t - 1] = np.linalg.norm(dstate[0], axis=0).mean()
    return norms


def gradient_flow_figure(
    cells: Sequence[str] = ("lstm", "rnn"), T: int = 100, hidden: int = 32, seed: int = 0
) -> Figure:
    """‖∂L/∂h_t‖ against steps back from the end, one line per cell, log scale."""
    fig, ax = plt.subplots(figsize=(8, 4.8), layout="constrained")
    for cell in cells:
        norms = gradient_flow(cell, T, hidden, seed=seed)
        ax.semilogy(np.arange(T)[::-1], norms, lw=1.8, label=cell)
    ax.set_xlabel("steps back from the last step (T − t)")
    ax.set_ylabel("‖∂L/∂h_t‖ (log scale)")
    ax.set_title(f"Gradient reaching earlier steps, L = Σ h_T (T={T}, H={hidden}, fresh init)")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return fig


def loss_figure(curves: Mapping[str, Sequence[float]], smooth: int = 20) -> Figure:
    """Training loss per step for each named run, with a moving average of ``smooth`` steps."""
    fig, ax = plt.subplots(figsize=(8, 4.8), layout="constrained")
    for name, losses in curves.items():
        y = np.asarray(losses, dtype=np.float64)
        line = ax.plot(np.arange(1, len(y) + 1), y, lw=0.6, alpha=0.35)[0]
        if len(y) >= smooth > 1:
            avg = np.convolve(y, np.ones(smooth) / smooth, mode="valid")
            ax.plot(np.arange(smooth, len(y) + 1), avg, lw=1.8, color=line.get_color(),
                    label=f"{name} ({smooth}-step mean)")
        else:
            line.set_alpha(1.0)
            line.set_label(name)
    ax.set_xlabel("training step")
    ax.set_ylabel("cross-entropy (nats per character)")
    ax.set_title("Training loss")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


# --------------------------------------------------------------------------- command line


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None:
            return action.help or ""
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Argument parser of ``lstm-plots``."""
    p = _Parser(
        prog=PROG,
        description="Write PNG figures: gate heatmaps, cell-state evolution, gradient flow "
        "(LSTM vs RNN) or training-loss curves.",
        formatter_class=_Help,
    )
    p.add_argument("kind", choices=("gates", "cells", "gradient-flow", "loss"))
    p.add_argument("--checkpoint", type=Path, action="append", metavar="PATH",
                   help="model checkpoint (gates/cells: default the shipped LSTM; loss: one or "
                   "more, repeat the option)")
    p.add_argument("--out", type=Path, default=Path("figures"), metavar="DIR",
                   help="output directory")
    p.add_argument("--text", help="text to run the model over (gates/cells; default: a fresh "
                   "story from the built-in corpus)")
    p.add_argument("--length", type=int, default=100,
                   help="characters (gates/cells) or time steps T (gradient-flow)")
    p.add_argument("--units", type=int, default=0, help="units to show (0: a sensible default)")
    p.add_argument("--hidden-size", type=int, default=32, metavar="H",
                   help="hidden units for gradient-flow")
    p.add_argument("--seed", type=int, default=0,
                   help="seeds the default story (gates/cells) or the initialisation")
    p.add_argument("--dpi", type=int, default=120, help="resolution of the PNG")
    return p


def _load(path: Path | None) -> Checkpoint:
    return load_pretrained() if path is None else load_checkpoint(path)


def make_figure(args: argparse.Namespace) -> tuple[str, Figure]:
    """The file name and the figure the command line asked for."""
    if args.length <= 0 or args.units < 0 or args.hidden_size <= 0 or args.dpi <= 0:
        raise ValueError("--length, --hidden-size and --dpi must be positive, --units >= 0")
    if args.kind == "gradient-flow":
        return "gradient_flow.png", gradient_flow_figure(("lstm", "rnn"), args.length,
                                                         args.hidden_size, args.seed)
    if args.kind == "loss":
        if not args.checkpoint:
            raise ValueError("loss needs at least one --checkpoint")
        curves = {}
        for path in args.checkpoint:
            ck = load_checkpoint(path)
            if ck.losses is None or len(ck.losses) == 0:
                raise ValueError(f"{path} holds no loss history")
            curves[f"{ck.cell} ({path.name})"] = ck.losses
        return "loss.png", loss_figure(curves)
    ck = _load(args.checkpoint[0] if args.checkpoint else None)
    if ck.vocab is None:
        raise ValueError("the checkpoint has no vocabulary")
    text = args.text
    if text is None:
        text = colah_corpus(1, seed=args.seed + 7).split("\n")[0] + "\n"
    text = text[: args.length]
    unknown = sorted(set(text) - set(ck.vocab.chars))
    if unknown:
        raise ValueError(f"the text has characters the model does not know: {''.join(unknown)!r}")
    if args.kind == "gates":
        return "gates.png", gates_figure(ck.params, ck.vocab, text, args.units or 16)
    return "cells.png", cells_figure(ck.params, ck.vocab, text, args.units or 6)


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point (``lstm-plots``): writes one PNG into ``--out``."""
    args = build_parser().parse_args(argv)
    try:
        name, fig = make_figure(args)
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / name
        fig.savefig(path, dpi=args.dpi)
        plt.close(fig)
    except (CheckpointError, ValueError, OSError) as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
