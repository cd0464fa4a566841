"""Training loops: truncated BPTT bookkeeping, learning on small problems, the long-range
classifier (LSTM vs vanilla RNN on the temporal order task) and the language score."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from lstm_reference.data.corpus import LANGUAGES, colah_corpus, language_positions
from lstm_reference.model import char_lm_forward, init_char_lm, log_softmax
from lstm_reference.optim import SGD, make_optimizer
from lstm_reference.training import (
    LMRun,
    TrainingDivergedError,
    chunk,
    evaluate_task,
    language_scores,
    make_streams,
    steps_per_epoch,
    train_char_lm,
    train_classifier,
)
from lstm_reference.vocab import Vocab


def test_streams_and_chunks_cover_the_text_in_order() -> None:
    ids = np.arange(103)
    S = make_streams(ids, 4)  # 4 streams of 25
    assert S.shape == (4, 25)
    np.testing.assert_array_equal(S[1], np.arange(25, 50))
    assert steps_per_epoch(103, 4, 6) == 4  # (25 - 1) // 6
    inputs, targets = chunk(S, 1, 6)
    assert inputs.shape == targets.shape == (6, 4)
    np.testing.assert_array_equal(inputs[:, 2], np.arange(56, 62))
    np.testing.assert_array_equal(targets[:, 2], np.arange(57, 63))  # next character
    assert steps_per_epoch(10, 4, 6) == 0


def test_state_is_carried_within_an_epoch_and_reset_at_its_start() -> None:
    """With lr ≈ 0 the chunk losses must equal one long forward pass over each stream."""
    text = "abcdefghij" * 13
    vocab = Vocab.from_text(text)
    ids = vocab.encode(text)
    p = init_char_lm(len(vocab), 6, "lstm", np.random.default_rng(0))
    run = LMRun({k: v.copy() for k, v in p.items()}, SGD(lr=1e-300), "lstm", 2, 8)
    per_epoch = steps_per_epoch(len(ids), 2, 8)
    train_char_lm(run, ids, 2 * per_epoch)
    S = make_streams(ids, 2)
    n = per_epoch * 8
    logits, _, _ = char_lm_forward(p, S[:, :n].T)
    logp = log_softmax(logits, axis=1)
    tgt = S[:, 1 : n + 1].T
    nll = -np.take_along_axis(logp, tgt[:, None, :], axis=1)[:, 0, :]  # (n, B)
    expected = nll.reshape(per_epoch, 8, 2).mean(axis=(1, 2))
    np.testing.assert_allclose(run.losses[:per_epoch], expected, rtol=1e-12)
    np.testing.assert_allclose(run.losses[per_epoch:], expected, rtol=1e-12)  # epoch 2 restarts


def test_char_lm_learns_a_repetitive_text() -> None:
    text = "hello world. " * 60
    vocab = Vocab.from_text(text)
    p = init_char_lm(len(vocab), 16, "lstm", np.random.default_rng(0))
    run = LMRun(p, make_optimizer("adam", 0.02), "lstm", 4, 20)
    train_char_lm(run, vocab.encode(text), 60)
    assert run.losses[0] > 2.0 and np.mean(run.losses[-5:]) < 0.3


def test_nan_loss_is_reported() -> None:
    text = "abab" * 50
    vocab = Vocab.from_text(text)
    p = init_char_lm(len(vocab), 4, "lstm", np.random.default_rng(0))
    p["Wy"][0, 0] = np.nan
    run = LMRun(p, make_optimizer("sgd", 0.1), "lstm", 2, 5)
    with pytest.raises(TrainingDivergedError, match="step 1"):
        train_char_lm(run, vocab.encode(text), 3)
    with pytest.raises(ValueError, match="too short"):
        train_char_lm(run, vocab.encode("ab"), 1)


SEPARATION = """
import json
from lstm_reference.training import evaluate_task, train_classifier
out = {}
for cell in ("lstm", "rnn"):
    p, hist = train_classifier("temporal_order", cell, T=50, steps=300, hidden=32, lr=1e-2, seed=0)
    acc = evaluate_task(p, "temporal_order", 50, n=1000, seed=4242, cell=cell)["accuracy"]
    out[cell] = {"accuracy": acc, "steps": len(hist["loss"]), "last_loss": hist["loss"][-1]}
print(json.dumps(out))
"""


@pytest.mark.slow
def test_lstm_solves_temporal_order_where_the_rnn_stays_at_chance() -> None:
    """Hochreiter & Schmidhuber's temporal order task at T = 50, same budget for both cells.

    Runs in a child process with one BLAS thread: these matrices are tiny, and on a busy
    two-core machine BLAS threads fighting over the cores made this 10x slower.
    """
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", SEPARATION], capture_output=True, text=True,
                          env=env, timeout=600, check=True)
    out = json.loads(proc.stdout)
    assert out["lstm"]["accuracy"] > 0.95
    assert out["rnn"]["accuracy"] < 0.4  # chance is 0.25
    assert out["lstm"]["steps"] == 300 and out["lstm"]["last_loss"] < 0.2


def test_train_classifier_eval_history_and_regression() -> None:
    p, hist = train_classifier("adding", "lstm", T=10, steps=200, hidden=8, lr=1e-2,
                               eval_every=100, eval_size=200)
    assert hist["eval_step"] == [100, 200] and len(hist["eval_mse"]) == 2
    scores = evaluate_task(p, "adding", 10, n=500)
    assert scores["mse"] < 0.05  # the mean predictor scores 1/6
    from lstm_reference.data.tasks import temporal_order

    p2, _ = train_classifier(temporal_order, "gru", T=10, steps=5, hidden=4, n_classes=4)
    assert p2["Wy"].shape == (4, 4)


def test_language_scores_match_a_brute_force_recomputation() -> None:
    text = colah_corpus(3, seed=11)
    vocab = Vocab.from_text(colah_corpus(200, seed=0))
    p = init_char_lm(len(vocab), 12, "lstm", np.random.default_rng(1))
    p["Wy"] *= 4.0  # make the candidates' scores differ clearly
    scores, truth = language_scores(p, vocab, text)
    positions = language_positions(text)
    assert scores.shape == (3, len(LANGUAGES))
    assert truth.tolist() == [lang for _, lang in positions]
    for n, (pos, _) in enumerate(positions):
        for k, lang in enumerate(LANGUAGES):
            full = vocab.encode(text[:pos] + lang + ".")
            logits, _, _ = char_lm_forward(p, full[:-1, None])
            logp = log_softmax(logits[:, :, 0], axis=1)
            tail = range(pos - 1, len(full) - 1)
            want = sum(logp[t, full[t + 1]] for t in tail)
            assert scores[n, k] == pytest.approx(want, abs=1e-9)


def test_evaluate_char_lm_is_the_mean_loss_of_its_streams() -> None:
    from lstm_reference.model import char_lm_loss
    from lstm_reference.training import evaluate_char_lm

    rng = np.random.default_rng(5)
    p = init_char_lm(7, 6, "lstm", rng)
    ids = rng.integers(7, size=41)
    one, _, _ = char_lm_loss(p, ids[:-1, None], ids[1:, None], None, "lstm")
    assert evaluate_char_lm(p, ids, "lstm", batch_size=1) == pytest.approx(one, rel=1e-12)
    # four streams of 10 characters (the 41st is dropped), each read from the zero state
    parts = [char_lm_loss(p, s[:-1, None], s[1:, None], None, "lstm")[0]
             for s in ids[:40].reshape(4, 10)]
    assert evaluate_char_lm(p, ids, "lstm", batch_size=4) == pytest.approx(np.mean(parts))
    with pytest.raises(ValueError, match="too short"):
        evaluate_char_lm(p, ids[:1], "lstm")
