"""Figures for looking inside recurrent networks (matplotlib, headless Agg backend).

Each ``*_figure`` function returns a :class:`matplotlib.figure.Figure`; the command line writes
them as PNGs::

    python -m lstm_reference.plots all --out docs/img/             # every figure of the docs
    python -m lstm_reference.plots gates --out figures/            # shipped checkpoint
    python -m lstm_reference.plots cells --checkpoint model.npz --out figures/
    python -m lstm_reference.plots text --state C --unit 28 --out figures/   # PNG and HTML
    python -m lstm_reference.plots gradient-flow --length 100 --out figures/
    python -m lstm_reference.plots loss --checkpoint lstm.npz --checkpoint rnn.npz --out figures/
"""

from __future__ import annotations

import argparse
import html
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from lstm_reference.analysis import best_category_unit, best_tracking_unit, record_lstm
from lstm_reference.analysis import gradient_flow as input_gradient_flow
from lstm_reference.checkpoint import (
    Checkpoint,
    CheckpointError,
    load_checkpoint,
    load_pretrained,
)
from lstm_reference.data.corpus import (
    COUNTRIES,
    LANGUAGES,
    OPENING,
    char_signals,
    colah_corpus,
    language_positions,
)
from lstm_reference.init import Params
from lstm_reference.model import cell_params, get_cell_spec
from lstm_reference.vocab import Vocab, one_hot

PROG = "lstm-plots"
DPI = 150
DEFAULT_STORY_SEED = 17  # a story with a quotation, an aside in brackets and one more filler
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


def country_unit(p: Params, vocab: Vocab, n_stories: int = 100, seed: int = 2
                 ) -> tuple[str, int, float] | None:
    """The unit that remembers the country: ``(state, unit, η)``, state "C" or "h".

    Chosen as in exercise 2: over ``n_stories`` fresh stories, the unit whose level best
    separates the country to remember (largest correlation ratio η with
    ``char_signals(text)["remembered_country"]``), in the cell state or the hidden state.
    For the shipped checkpoint this is C[28]. None if the model's vocabulary cannot read the
    built-in corpus (a model trained on another text).
    """
    text = colah_corpus(n_stories, seed=seed)
    if not set(text) <= set(vocab.chars):
        return None
    rec = record_gates(p, vocab, text)
    labels = char_signals(text)["remembered_country"]
    best = max(((k, *best_category_unit(rec[k], labels)) for k in ("C", "h")),
               key=lambda t: t[2])
    return best[0], int(best[1]), float(best[2])


def story_events(text: str) -> list[tuple[int, int, str]]:
    """Spans worth pointing at in a story: ``(start, end, label)``, character indices, end
    exclusive: each country's name, quotations, asides in brackets, the language written."""
    events = []
    for country in COUNTRIES:
        start = text.find(OPENING + country)
        while start != -1:
            a = start + len(OPENING)
            events.append((a, a + len(country), "country"))
            start = text.find(OPENING + country, a)
    for pos, lang in language_positions(text):
        events.append((pos, pos + len(LANGUAGES[lang]), "language"))
    quotes = [k for k, c in enumerate(text) if c == '"']
    for a, b in zip(quotes[::2], quotes[1::2], strict=False):
        events.append((a, b + 1, "quote"))
    depth, opened = 0, 0
    for k, c in enumerate(text):
        if c == "(":
            if depth == 0:
                opened = k
            depth += 1
        elif c == ")" and depth > 0:
            depth -= 1
            if depth == 0:
                events.append((opened, k + 1, "aside"))
    return sorted(events)


EVENT_STYLE = {"country": ("tab:red", "country read"), "language": ("tab:red", "language written"),
               "quote": ("gold", '"quote"'), "aside": ("silver", "(aside)")}


def _annotate_events(ax: plt.Axes, text: str, label: bool) -> None:
    """Outline each event span on a heatmap axis; with ``label``, name it above the axis."""
    for a, b, kind in story_events(text):
        color, name = EVENT_STYLE[kind]
        ax.axvspan(a - 0.5, b - 0.5, fill=False, edgecolor=color, lw=1.6)
        if label:
            ax.annotate(name, xy=((a + b - 1) / 2, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(0, 4), textcoords="offset points", ha="center", va="bottom",
                        fontsize=9, color="black" if color == "gold" else color,
                        fontweight="bold")


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


def gates_figure(p: Params, vocab: Vocab, text: str, n_units: int = 16,
                 country: tuple[str, int, float] | None = None) -> Figure:
    """Heatmaps of the forget, input and output gates (units × characters), values in [0, 1].

    Shows the ``n_units`` most active units plus the country unit (``country_unit``, computed
    if not given), labelled; the country's name, the language, quotations and asides are
    outlined on every panel and named above the first.
    """
    rec = record_gates(p, vocab, text)
    state, cu, eta = (country or country_unit(p, vocab)) or ("C", -1, 0.0)
    units = pick_units(np.concatenate([rec["f"], rec["i"], rec["o"]]), n_units)
    if cu >= 0:
        units = np.unique(np.append(units, cu))
    T = len(text)
    fig, axes = plt.subplots(3, 1, figsize=(max(8.0, 0.11 * T + 2), 3.0 + 0.5 * len(units)),
                             sharex=True, layout="constrained")
    for k, (ax, g) in enumerate(zip(axes, ("f", "i", "o"), strict=True)):
        im = ax.imshow(rec[g][:, units].T, aspect="auto", cmap="viridis", vmin=0, vmax=1,
                       interpolation="nearest")
        ax.set_ylabel(GATE_TITLES[g], fontsize=11)
        ax.set_yticks(range(len(units)))
        ax.set_yticklabels([f"{u} ← country ({state}, η={eta:.2f})" if u == cu else str(u)
                            for u in units], fontsize=8)
        _annotate_events(ax, text, label=k == 0)
        fig.colorbar(im, ax=ax, label="gate value", fraction=0.02, pad=0.01)
    _char_axis(axes[-1], text)
    axes[-1].set_xlabel("input character (the gates after reading it)", fontsize=11)
    fig.suptitle(
        f"Gates of the LSTM over one story: {len(units)} units (most active, and the unit "
        "that remembers the country). Yellow: open, dark: closed.", fontsize=12)
    return fig


def cells_figure(p: Params, vocab: Vocab, text: str, n_units: int = 4,
                 country: tuple[str, int, float] | None = None) -> Figure:
    """Cell state C over the sequence, and tanh(C) as a heatmap.

    Shown first: the cell-state unit that remembers the country (chosen by its correlation
    ratio η with the country over 100 fresh stories, see ``country_unit``), then the units
    that best follow quotes and bracket depth (Pearson r on this text, when it has them), then
    the units whose tanh(C) moves most from step to step, up to ``n_units`` + 1. Quotations and
    asides are shaded; the country's name and the language are outlined.
    """
    rec = record_gates(p, vocab, text)
    signals = char_signals(text)
    labels: dict[int, str] = {}
    state, cu, eta = (country or country_unit(p, vocab)) or ("C", -1, 0.0)
    if state == "C" and cu >= 0:
        labels[cu] = f"C[{cu}]: remembers the country (η={eta:.2f} on 100 stories)"
    for key, what in (("inside_quotes", "quotes"), ("bracket_depth", "brackets")):
        if signals[key].std() > 0:
            u, r = best_tracking_unit(rec["C"], signals[key])
            labels.setdefault(u, f"C[{u}]: follows {what} (r={r:+.2f} on this text)")
    for u in pick_moving_units(np.tanh(rec["C"]), n_units + 1):
        if len(labels) >= n_units + 1:
            break
        labels.setdefault(int(u), f"C[{u}]: fast unit")
    units = sorted(labels, key=lambda u: (u != cu, u))
    T = len(text)
    fig, (ax_line, ax_map) = plt.subplots(
        2, 1, figsize=(max(8.0, 0.11 * T + 2), 7.5), sharex=True, layout="constrained",
        gridspec_kw={"height_ratios": [1.4, 1]},
    )
    for u in units:
        ax_line.plot(range(T), rec["C"][:, u], lw=3.0 if u == cu else 1.2,
                     color="tab:red" if u == cu else None, label=labels[u],
                     alpha=1.0 if u == cu else 0.8)
    _shade_spans(ax_line, signals["inside_quotes"] > 0, "gold", 'inside "…"')
    _shade_spans(ax_line, signals["bracket_depth"] > 0, "silver", "inside (…)")
    for a, b, kind in story_events(text):
        if kind in ("country", "language"):
            ax_line.axvspan(a - 0.5, b - 0.5, fill=False, edgecolor="tab:red", lw=1.2, ls="--")
            ax_line.annotate(EVENT_STYLE[kind][1], xy=((a + b - 1) / 2, 1.0),
                             xycoords=("data", "axes fraction"), xytext=(0, 4),
                             textcoords="offset points", ha="center", fontsize=10,
                             color="tab:red", fontweight="bold")
    ax_line.axhline(0, color="grey", lw=0.6)
    ax_line.set_ylabel("cell state C", fontsize=11)
    ax_line.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.005, 1.0), framealpha=0.9)
    ax_line.grid(alpha=0.3)
    im = ax_map.imshow(np.tanh(rec["C"][:, units]).T, aspect="auto", cmap="RdBu_r", vmin=-1,
                       vmax=1, interpolation="nearest")
    ax_map.set_yticks(range(len(units)))
    ax_map.set_yticklabels([f"C[{u}]" for u in units], fontsize=9)
    ax_map.set_ylabel("unit", fontsize=11)
    fig.colorbar(im, ax=ax_map, label="tanh(C)", fraction=0.02, pad=0.01)
    _char_axis(ax_map, text)
    ax_map.set_xlabel("input character (the state after reading it)", fontsize=11)
    fig.suptitle("The conveyor belt: the country unit holds one level from the country's name "
                 "to the language", fontsize=12)
    return fig


def text_activation(p: Params, vocab: Vocab, text: str, state: str, unit: int) -> np.ndarray:
    """tanh of unit ``unit`` of ``state`` ("C", "h" or a gate "f", "i", "o") per character (T,)
    -> values in [-1, 1] (gates in [0, 1], mapped to [-1, 1] as 2g − 1)."""
    a = record_gates(p, vocab, text)[state][:, unit]
    return np.tanh(a) if state in ("C", "h") else 2.0 * a - 1.0


def text_activation_html(text: str, values: np.ndarray, title: str) -> str:
    """Karpathy-style: each character on a background coloured by its value in [-1, 1]
    (blue negative, red positive, white 0), as a standalone HTML page."""
    cmap = plt.get_cmap("RdBu_r")
    spans = []
    for ch, v in zip(text, values, strict=True):
        r, g, b, _ = cmap((float(v) + 1.0) / 2.0)
        color = f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"
        shown = "<br>\n" if ch == "\n" else html.escape(ch).replace(" ", "&nbsp;")
        spans.append(f'<span style="background:{color}" title="{v:+.2f}">{shown}</span>')
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            "</title></head>\n<body style=\"font-family:monospace;font-size:15px;"
            f"line-height:1.7\">\n<h3>{html.escape(title)}</h3>\n<p>{''.join(spans)}</p>\n"
            "<p>blue: negative, white: 0, red: positive (hover a character for its value)</p>"
            "\n</body></html>\n")


def text_activation_figure(text: str, values: np.ndarray, title: str,
                           width: int = 90) -> Figure:
    """The same colouring as ``text_activation_html``, as a figure: lines of ``width``
    characters (a new line also at every newline of the text)."""
    rows: list[list[tuple[str, float]]] = [[]]
    for ch, v in zip(text, values, strict=True):
        if ch == "\n":
            rows.append([])
            continue
        if len(rows[-1]) >= width:
            rows.append([])
        rows[-1].append((ch, float(v)))
    rows = [r for r in rows if r]
    cmap = plt.get_cmap("RdBu_r")
    fig = plt.figure(figsize=(0.118 * width + 0.6, 0.3 * len(rows) + 1.0))
    ax = fig.add_axes((0.01, 0.02, 0.98, 0.98 - 0.55 / (0.3 * len(rows) + 1.0)))
    ax.set_xlim(0, width)
    ax.set_ylim(len(rows), 0)
    ax.axis("off")
    for y, row in enumerate(rows):
        for x, (ch, v) in enumerate(row):
            ax.add_patch(plt.Rectangle((x, y + 0.05), 1, 0.9, color=cmap((v + 1) / 2), lw=0))
            ax.text(x + 0.5, y + 0.5, ch, ha="center", va="center", family="monospace",
                    fontsize=10)
    fig.suptitle(title, fontsize=11)
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
    """‖∂L/∂x_t‖ for t = 1..T, with L = Σ h_T, averaged over the batch -> (T,).

    The same measurement as exercise 4 (``analysis.gradient_flow``): the cell (freshly
    initialised unless ``params`` are given) reads random one-hot inputs (T, input_size,
    batch) from the zero state; entry t−1 is how strongly the input at step t moves the last
    step's output — how far back in time a learning signal travels.
    """
    spec = get_cell_spec(cell)
    rng = np.random.default_rng(seed)
    p = spec.init(input_size, hidden, rng, np.float64) if params is None else cell_params(params)
    X = one_hot(rng.integers(input_size, size=(T, batch)), input_size)
    return input_gradient_flow(spec.name, p, X)


def crossover(a: np.ndarray, b: np.ndarray) -> int | None:
    """Steps back from the end (0 = the last step) after which ``a`` stays above ``b`` for good,
    or None if it never does."""
    above = (a > b)[::-1]  # index k: k steps back
    if not above[-1]:
        return None
    k = len(above)
    while k > 0 and above[k - 1]:
        k -= 1
    return k


def gradient_flow_figure(
    cells: Sequence[str] = ("lstm", "rnn"), T: int = 100, hidden: int = 32, seed: int = 0
) -> Figure:
    """‖∂L/∂x_t‖ against steps back from the end, one line per cell, log scale; where the LSTM
    overtakes the RNN is marked and explained."""
    fig, ax = plt.subplots(figsize=(9, 5.2), layout="constrained")
    curves = {cell: gradient_flow(cell, T, hidden, seed=seed) for cell in cells}
    back = np.arange(T)[::-1]
    for cell, norms in curves.items():
        ax.semilogy(back, norms, lw=2.0, label=cell)
        ax.annotate(f"{norms[0]:.0e}", xy=(T - 1, norms[0]), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=9)
    if "lstm" in curves and "rnn" in curves:
        k = crossover(curves["lstm"], curves["rnn"])
        if k is not None and 0 < k < T - 1:
            y = curves["lstm"][T - 1 - k]
            ax.axvline(k, color="grey", ls=":", lw=1)
            ax.annotate(
                f"crossover {k} steps back.\nBefore it the RNN's gradient is larger: its\n"
                "input is one weight matrix away from the loss, while\nthe LSTM's passes "
                "gates of about 0.5–0.7 at every step.\nAfter it, every RNN step multiplies "
                "by Wᵀ·diag(1−h²)\nand the gradient falls exponentially; the LSTM's\n"
                "travels along the cell state, scaled only by f.",
                xy=(k, y), xytext=(0.03, 0.05), textcoords="axes fraction", fontsize=9,
                arrowprops={"arrowstyle": "->", "color": "grey"},
                bbox={"boxstyle": "round", "fc": "white", "ec": "grey"})
    ax.set_xlabel("steps back from the last step (T − t)", fontsize=11)
    ax.set_ylabel("‖∂L/∂x_t‖ (log scale)", fontsize=11)
    ax.set_title(f"Gradient reaching earlier inputs, L = Σ h_T (T={T}, H={hidden}, fresh init)",
                 fontsize=12)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=10)
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
        description="Write figures: gate heatmaps (gates), cell-state evolution (cells), text "
        "coloured by one unit's activation, PNG and HTML (text), gradient flow LSTM vs RNN "
        "(gradient-flow), training-loss curves (loss), or every figure of the docs (all).",
        formatter_class=_Help,
    )
    p.add_argument("kind", choices=("gates", "cells", "text", "gradient-flow", "loss", "all"),
                   help="which figure")
    p.add_argument("--checkpoint", type=Path, action="append", metavar="PATH",
                   help="model checkpoint (gates/cells/text: default the shipped LSTM; loss: "
                   "one or more, repeat the option)")
    p.add_argument("--out", type=Path, default=Path("figures"), metavar="DIR",
                   help="output directory")
    p.add_argument("--text", help="text to run the model over (gates/cells/text; default: a "
                   "story from the built-in corpus with a quotation and an aside)")
    p.add_argument("--length", type=int, default=None,
                   help="characters of the text (gates/cells/text; default: all) or time steps "
                   "T (gradient-flow; default 100)")
    p.add_argument("--units", type=int, default=0, help="units to show (0: a sensible default)")
    p.add_argument("--state", choices=("C", "h", "f", "i", "o"), default=None,
                   help="text: the state or gate to colour by (default: the country unit's)")
    p.add_argument("--unit", type=int, default=None,
                   help="text: the unit to colour by (default: the unit that remembers the "
                   "country, chosen by its correlation ratio with it)")
    p.add_argument("--hidden-size", type=int, default=32, metavar="H",
                   help="hidden units for gradient-flow")
    p.add_argument("--seed", type=int, default=0,
                   help="seeds the default story (gates/cells/text) or the initialisation")
    p.add_argument("--dpi", type=int, default=DPI, help="resolution of the PNG")
    return p


def _load(path: Path | None) -> Checkpoint:
    return load_pretrained() if path is None else load_checkpoint(path)


def default_story(seed: int = 0) -> str:
    """One story of the built-in corpus (seed 0: a quotation, an aside in brackets, a filler)."""
    return colah_corpus(1, seed=seed + DEFAULT_STORY_SEED, min_fillers=1,
                        max_fillers=2).split("\n")[0] + "\n"


Output = tuple[str, "Figure | str"]


def make_figures(args: argparse.Namespace) -> list[Output]:
    """(file name, figure or HTML text) for everything the command line asked for."""
    if (args.length is not None and args.length <= 0) or args.units < 0 \
            or args.hidden_size <= 0 or args.dpi <= 0:
        raise ValueError("--length, --hidden-size and --dpi must be positive, --units >= 0")
    if args.kind == "all":
        return _all_figures(args)
    if args.kind == "gradient-flow":
        return [("gradient_flow.png", gradient_flow_figure(("lstm", "rnn"), args.length or 100,
                                                           args.hidden_size, args.seed))]
    if args.kind == "loss":
        if not args.checkpoint:
            raise ValueError("loss needs at least one --checkpoint")
        curves = {}
        for path in args.checkpoint:
            ck = load_checkpoint(path)
            if ck.losses is None or len(ck.losses) == 0:
                raise ValueError(f"{path} holds no loss history")
            curves[f"{ck.cell} ({path.name})"] = ck.losses
        return [("loss.png", loss_figure(curves))]
    ck = _load(args.checkpoint[0] if args.checkpoint else None)
    if ck.vocab is None:
        raise ValueError("the checkpoint has no vocabulary")
    if "Wf" not in ck.params:
        raise ValueError("gates, cells and text plots need an LSTM checkpoint")
    text = args.text
    if text is None:
        text = default_story(args.seed)
        if args.kind == "text":
            text = colah_corpus(4, seed=args.seed + 5, min_fillers=1, max_fillers=2)
    text = text[: args.length]
    unknown = sorted(set(text) - set(ck.vocab.chars))
    if unknown:
        raise ValueError(f"the text has characters the model does not know: {''.join(unknown)!r}")
    if args.kind == "gates":
        return [("gates.png", gates_figure(ck.params, ck.vocab, text, args.units or 12))]
    if args.kind == "cells":
        return [("cells.png", cells_figure(ck.params, ck.vocab, text, args.units or 4))]
    return _text_outputs(ck, text, args.state, args.unit)


def _text_outputs(ck: Checkpoint, text: str, state: str | None, unit: int | None
                  ) -> list[Output]:
    H = ck.params["bf"].shape[0]
    if unit is None:
        found = country_unit(ck.params, ck.vocab)
        if found is None:
            raise ValueError("this model cannot read the built-in corpus: give --unit")
        cstate, unit, eta = found
        state = state or cstate
        what = f"the unit that remembers the country (η={eta:.2f})"
    else:
        state = state or "C"
        what = "unit chosen on the command line"
    if not 0 <= unit < H:
        raise ValueError(f"--unit must be in 0..{H - 1}, got {unit}")
    values = text_activation(ck.params, ck.vocab, text, state, unit)
    kind = "tanh" if state in ("C", "h") else "2g − 1 of"
    title = f"{kind} {state}[{unit}] over the text: {what}"
    name = f"text_{state}{unit}"
    return [(f"{name}.png", text_activation_figure(text, values, title)),
            (f"{name}.html", text_activation_html(text, values, title))]


def _all_figures(args: argparse.Namespace) -> list[Output]:
    """Every figure of the docs, from the shipped checkpoint (or --checkpoint)."""
    ck = _load(args.checkpoint[0] if args.checkpoint else None)
    country = country_unit(ck.params, ck.vocab)
    story = default_story(args.seed)
    stories = colah_corpus(4, seed=args.seed + 5, min_fillers=1, max_fillers=2)
    return [
        ("gates.png", gates_figure(ck.params, ck.vocab, story, 12, country)),
        ("cells.png", cells_figure(ck.params, ck.vocab, story, 4, country)),
        *_text_outputs(ck, stories, None, None),
        ("gradient_flow.png", gradient_flow_figure(("lstm", "rnn"), 100, args.hidden_size,
                                                   args.seed)),
        ("loss.png", loss_figure({f"{ck.cell} (shipped checkpoint)": ck.losses})),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point (``lstm-plots``): writes the PNG (and HTML) files into ``--out``."""
    args = build_parser().parse_args(argv)
    try:
        outputs = make_figures(args)
        args.out.mkdir(parents=True, exist_ok=True)
        for name, out in outputs:
            path = args.out / name
            if isinstance(out, str):
                path.write_text(out, encoding="utf-8")
            else:
                out.savefig(path, dpi=args.dpi)
                plt.close(out)
            print(path)
    except (CheckpointError, ValueError, OSError) as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
