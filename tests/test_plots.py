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
from lstm_reference.checkpoint import Checkpoint, save_checkpoint
from lstm_reference.data.corpus import colah_corpus
from lstm_reference.model import init_char_lm
from lstm_reference.plots import (
    cells_figure,
    gates_figure,
    gradient_flow,
    gradient_flow_figure,
    loss_figure,
    main,
    record_gates,
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
    """Independent check: ∂L/∂h_t = (Π Jacobians)ᵀ·1 with J_s = diag(1 − h_s²)·Wh[:, :H]."""
    T, H, D, B = 12, 5, 8, 3
    norms = gradient_flow("rnn", T, H, D, B, seed=3)
    rng = np.random.default_rng(3)  # the same draws, in the same order, as gradient_flow
    p = get_cell("rnn").init(D, H, rng, np.float64)
    X = one_hot(rng.integers(D, size=(T, B)), D)
    hs = [np.zeros((H, B))]
    for t in range(T):
        hs.append(rnn_step_forward(X[t], hs[-1], p)[0])
    expected = np.empty(T)
    for b in range(B):
        g = np.ones(H)
        per_b = [np.linalg.norm(g)]
        for s in range(T, 1, -1):  # from h_s back to h_{s-1}
            J = (1 - hs[s][:, b] ** 2)[:, None] * p["Wh"][:, :H]
            g = J.T @ g
            per_b.append(np.linalg.norm(g))
        expected_b = np.array(per_b[::-1])
        expected = expected_b if b == 0 else expected + expected_b
    np.testing.assert_allclose(norms, expected / B, rtol=1e-10)


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
