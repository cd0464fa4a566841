"""Checkpoints: round trip, exact resume, and clear errors for bad or foreign files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lstm_reference.checkpoint import (
    Checkpoint,
    CheckpointError,
    load_checkpoint,
    rng_from_state,
    save_checkpoint,
)
from lstm_reference.model import init_char_lm
from lstm_reference.optim import make_optimizer
from lstm_reference.training import LMRun, train_char_lm
from lstm_reference.vocab import Vocab

SHIPPED_MIN_ACCURACY = 0.9  # the shipped model scores 99.5-100 % here (docs/library.md)
TEXT = "the quick brown fox jumps over the lazy dog; " * 40


def new_run(cell: str = "lstm", optimizer: str = "adam") -> tuple[LMRun, np.ndarray, Vocab]:
    vocab = Vocab.from_text(TEXT)
    p = init_char_lm(len(vocab), 8, cell, np.random.default_rng(0))
    return LMRun(p, make_optimizer(optimizer, 0.01), cell, 4, 10), vocab.encode(TEXT), vocab


def to_checkpoint(run: LMRun, vocab: Vocab, rng: np.random.Generator) -> Checkpoint:
    return Checkpoint(
        params=run.params, config={"cell": run.cell, "optimizer": run.optimizer.name, "lr": 0.01},
        vocab=vocab, optimizer_state=run.optimizer.state_dict(), step=run.step, epoch=0,
        rng_state=rng.bit_generator.state, state=run.state,
    )


def from_checkpoint(ck: Checkpoint) -> LMRun:
    opt = make_optimizer(ck.config["optimizer"], ck.config["lr"])
    opt.load_state_dict(ck.optimizer_state)
    return LMRun(ck.params, opt, ck.cell, 4, 10, step=ck.step, state=ck.state)


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    run, ids, vocab = new_run()
    train_char_lm(run, ids, 3)
    rng = np.random.default_rng(5)
    rng.random(7)
    path = save_checkpoint(tmp_path / "ck.npz", to_checkpoint(run, vocab, rng))
    ck = load_checkpoint(path)
    assert ck.vocab == vocab and ck.step == 3 and ck.cell == "lstm"
    assert ck.config == {"cell": "lstm", "optimizer": "adam", "lr": 0.01}
    for k, v in run.params.items():
        np.testing.assert_array_equal(ck.params[k], v)
        assert ck.params[k].dtype == v.dtype
    for k, v in run.optimizer.state_dict().items():
        np.testing.assert_array_equal(ck.optimizer_state[k], v)
    assert len(ck.state) == 2
    for a, b in zip(ck.state, run.state, strict=True):
        np.testing.assert_array_equal(a, b)
    assert rng_from_state(ck.rng_state).random() == rng.random()


@pytest.mark.parametrize(("cell", "optimizer"), [("lstm", "adam"), ("gru", "adagrad")])
def test_resume_equals_training_in_one_go(tmp_path: Path, cell: str, optimizer: str) -> None:
    """N + M steps in one go == N steps, save, load, M more (bitwise). N = 7 stops mid-epoch."""
    N, M = 7, 9
    one, ids, vocab = new_run(cell, optimizer)
    train_char_lm(one, ids, N + M)
    two, _, _ = new_run(cell, optimizer)
    train_char_lm(two, ids, N)
    save_checkpoint(tmp_path / "mid.npz", to_checkpoint(two, vocab, np.random.default_rng(0)))
    resumed = from_checkpoint(load_checkpoint(tmp_path / "mid.npz"))
    train_char_lm(resumed, ids, M)
    assert resumed.step == N + M
    for k in one.params:
        np.testing.assert_array_equal(resumed.params[k], one.params[k])
    for a, b in zip(resumed.state, one.state, strict=True):
        np.testing.assert_array_equal(a, b)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.npz")


def test_text_and_random_bytes_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.npz").write_text("hello")
    (tmp_path / "b.npz").write_bytes(np.random.default_rng(0).bytes(300))
    for name in ("a.npz", "b.npz"):
        with pytest.raises(CheckpointError, match="not a readable LSTM Lab checkpoint"):
            load_checkpoint(tmp_path / name)


def test_foreign_npz_is_rejected(tmp_path: Path) -> None:
    np.savez(tmp_path / "other.npz", weights=np.ones(3))
    with pytest.raises(CheckpointError, match="not an LSTM Lab checkpoint"):
        load_checkpoint(tmp_path / "other.npz")


def test_pickled_content_is_never_loaded(tmp_path: Path) -> None:
    good = save_checkpoint(
        tmp_path / "ok.npz", Checkpoint(params={"Wy": np.ones((2, 2)), "by": np.zeros((2, 1))})
    )
    with np.load(good) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["config"] = np.array([{"cell": "lstm"}], dtype=object)  # needs pickle to load
    np.savez(tmp_path / "evil.npz", **arrays)
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "evil.npz")


def test_newer_format_version_is_a_clear_error(tmp_path: Path) -> None:
    path = save_checkpoint(
        tmp_path / "ok.npz", Checkpoint(params={"Wy": np.ones((2, 2)), "by": np.zeros((2, 1))})
    )
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["version"] = np.array(99)
    np.savez(tmp_path / "v99.npz", **arrays)
    with pytest.raises(CheckpointError, match="version 99"):
        load_checkpoint(tmp_path / "v99.npz")
    assert json.loads(str(arrays["config"])) == {}


@pytest.mark.parametrize("fillers", [0, 3])
def test_shipped_checkpoint_remembers_the_country_across_fillers(fillers: int) -> None:
    """The shipped LSTM, scored on stories generated now with a seed it never saw, with no
    filler or with three long filler sentences (140-240 characters) between the country and
    "I speak fluent" (chance 1 in 10)."""
    from lstm_reference.checkpoint import load_pretrained, pretrained_path
    from lstm_reference.data.corpus import colah_corpus
    from lstm_reference.training import language_accuracy

    assert pretrained_path().stat().st_size < 1_000_000
    ck = load_pretrained()
    assert ck.cell == "lstm" and ck.vocab is not None and ck.config["hidden_size"] == 64
    fresh = colah_corpus(200, seed=20_261_125 + fillers, min_fillers=fillers,
                         max_fillers=fillers, long_only=True)
    score = language_accuracy(ck.params, ck.vocab, fresh, ck.cell)
    assert score["chance"] == pytest.approx(0.1)
    assert score["accuracy"] >= SHIPPED_MIN_ACCURACY, score
