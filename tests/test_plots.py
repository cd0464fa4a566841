"""Figures: the gradient-flow measurement against an independent computation, and every
figure / command writing a non-empty PNG."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from lstm_reference.cells import get_cell, zero_state
from lstm_reference.checkpoint import Checkpoint, load_pretrained, save_checkpoint
from lstm_reference.data.corpus import colah_corpus
from lstm_reference.model import init_char_lm
from lstm_reference.plots import (
    cells_figure,
    country_unit,
    crossover,
    gates_figure,
    gradient_flow,
    gradient_flow_figure,
    loss_figure,
    main,
    record_gates,
    story_events,
    text_activation_figure,
    text_activation_html,
)
from lstm_reference.rnn import rnn_step_forward
from lstm_reference.vocab import Vocab, one_hot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def small_lm() -> tuple[dict, Vocab, str]:
    text = colah_corpus(1, seed=2).split("\n")[0][:60]
    vocab = Vocab.from_text(colah_corpus(50, seed=0))
    return init_char_lm(len(vocab), 10, "lstm", np.random.default_rng(0)), vocab, text


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 2000


def test_gradient_flow_of_an_rnn_matches_explicit_jacobians() -> None:
    """Independent check: with g_T = 1 and g_{s-1} = Whᵀ·(d_s ⊙ g_s), d_s = 1 − h_s², the input
    gradient is ∂L/∂x_s = Wxᵀ·(d_s ⊙ g_s) (Wh, Wx: the h and x columns of the RNN's matrix)."""
    T, H, D, B = 12, 5, 8, 3
    norms = gradient_flow("rnn", T, H, D, B, seed=3)
    rng = np.random.default_rng(3)  # the same draws, in the same order, as gradient_flow
    p = get_cell("rnn").init(D, H, rng, np.float64)
    X = one_hot(rng.integers(D, size=(T, B)), D)
    hs = [np.zeros((H, B))]
    for t in range(T):
        hs.append(rnn_step_forward(X[t], hs[-1], p)[0])
    Wh, Wx = p["Wh"][:, :H], p["Wh"][:, H:]
    expected = np.zeros(T)
    for b in range(B):
        g = np.ones(H)
        for s in range(T, 0, -1):  # s: 1-based step; h_s = hs[s]
            dz = (1 - hs[s][:, b] ** 2) * g
            expected[s - 1] += np.linalg.norm(Wx.T @ dz) / B
            g = Wh.T @ dz
    np.testing.assert_allclose(norms, expected, rtol=1e-10)


def test_lstm_carries_gradient_further_than_the_rnn() -> None:
    lstm = gradient_flow("lstm", 60, 16, seed=0)
    rnn = gradient_flow("rnn", 60, 16, seed=0)
    assert lstm.shape == rnn.shape == (60,)
    assert lstm[0] / lstm[-1] > 100 * rnn[0] / rnn[-1]  # the RNN decays far more over 60 steps


def test_record_gates_matches_the_sequence_forward() -> None:
    p, vocab, text = small_lm()
    rec = record_gates(p, vocab, text)
    spec = get_cell("lstm")
    X = one_hot(vocab.encode(text), len(vocab))
    cell_p = {k: v for k, v in p.items() if k not in ("Wy", "by")}
    hs, (_, CT), _ = spec.forward(X, zero_state(spec, 10, 1, np.float64), cell_p)
    np.testing.assert_allclose(rec["h"], hs[:, :, 0], atol=1e-12)
    np.testing.assert_allclose(rec["C"][-1], CT[:, 0], atol=1e-12)
    assert rec["f"].shape == (len(text), 10)
    assert ((rec["f"] > 0) & (rec["f"] < 1)).all()


def test_figures_are_written(tmp_path: Path) -> None:
    p, vocab, text = small_lm()
    figs = {
        "gates": gates_figure(p, vocab, text, 6),
        "cells": cells_figure(p, vocab, 'I said "hi (yes)" to the dog.', 4)
        if set('I said "hi (yes)" to the dog.') <= set(vocab.chars) else None,
        "flow": gradient_flow_figure(("lstm", "rnn"), T=20, hidden=8),
        "loss": loss_figure({"lstm": list(np.linspace(3, 1, 50)), "rnn": [3.0, 2.5]}),
    }
    for name, fig in figs.items():
        assert isinstance(fig, Figure), name
        fig.savefig(tmp_path / f"{name}.png", dpi=40)
        assert_png(tmp_path / f"{name}.png")
        assert fig.axes[0].get_title() or fig.get_suptitle() or fig.axes[0].get_title(loc="left")


def test_cli_writes_pngs(tmp_path: Path) -> None:
    p, vocab, _ = small_lm()
    ck = save_checkpoint(
        tmp_path / "m.npz",
        Checkpoint(params=p, config={"cell": "lstm"}, vocab=vocab, losses=np.linspace(4, 2, 30)),
    )
    for kind, name in (("gates", "gates.png"), ("cells", "cells.png"), ("loss", "loss.png")):
        args = [kind, "--checkpoint", str(ck), "--out", str(tmp_path), "--length", "40"]
        assert main([*args, "--dpi", "40"]) == 0
        assert_png(tmp_path / name)
    assert main(["gradient-flow", "--length", "15", "--hidden-size", "6", "--dpi", "40",
                 "--out", str(tmp_path)]) == 0
    assert_png(tmp_path / "gradient_flow.png")


def test_country_unit_of_the_shipped_checkpoint_is_c28() -> None:
    """Exercise 2's reference pick, found again by the plots (the unit the docs name)."""
    ck = load_pretrained()
    state, unit, eta = country_unit(ck.params, ck.vocab)
    assert (state, unit) == ("C", 28) and eta > 0.8


def test_story_events_point_at_the_right_characters() -> None:
    text = 'I grew up in Japan. He said "hi" (twice (yes)). I speak fluent Japanese.\n'
    spans = {kind: text[a:b] for a, b, kind in story_events(text)}
    assert spans == {"country": "Japan", "quote": '"hi"', "aside": "(twice (yes))",
                     "language": "Japanese"}


def test_crossover_is_where_the_first_curve_stays_above() -> None:
    a = np.array([1.0, 1.0, 1.0, 0.1, 0.1])  # index = step t; the last entry is 0 steps back
    b = np.array([1e-3, 1e-2, 0.5, 0.5, 0.5])
    assert crossover(a, b) == 2  # a is above b from 2 steps back on (t = 2, 1, 0)
    assert crossover(b, a) is None  # b is below a at the very first step


def test_text_colouring_html_and_png(tmp_path: Path) -> None:
    text = 'a "b"\n<c>'
    values = np.linspace(-1, 1, len(text))
    page = text_activation_html(text, values, "unit 3")
    assert page.count("<span") == len(text) and "<br>" in page
    assert "&lt;</span>" in page and "&gt;</span>" in page and "<c" not in page
    assert 'title="-1.00"' in page and 'title="+1.00"' in page
    fig = text_activation_figure(text, values, "unit 3")
    fig.savefig(tmp_path / "t.png", dpi=100)
    assert_png(tmp_path / "t.png")


def test_cli_all_writes_every_doc_figure(tmp_path: Path) -> None:
    assert main(["all", "--out", str(tmp_path), "--dpi", "30"]) == 0
    for name in ("gates.png", "cells.png", "text_C28.png", "gradient_flow.png", "loss.png"):
        assert_png(tmp_path / name)
    assert "tanh C[28]" in (tmp_path / "text_C28.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_cli_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "junk.npz").write_bytes(b"not a checkpoint")
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_reference.plots", "gates", "--checkpoint",
         str(tmp_path / "junk.npz"), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "not a readable LSTM Lab checkpoint" in proc.stderr


def test_cli_text_for_a_chosen_unit_and_its_errors(tmp_path: Path, capsys) -> None:
    assert main(["text", "--state", "f", "--unit", "3", "--text", "I grew up in Peru.",
                 "--out", str(tmp_path), "--dpi", "60"]) == 0
    assert_png(tmp_path / "text_f3.png")
    page = (tmp_path / "text_f3.html").read_text(encoding="utf-8")
    assert page.count("<span") == len("I grew up in Peru.")
    assert main(["text", "--unit", "999", "--out", str(tmp_path)]) == 2
    assert "--unit must be in 0..63" in capsys.readouterr().err
