"""The exercise-4 checks accept correct answers and reject plausible wrong ones with a message."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.checks import ex4
from autograder.checks.base import REGISTRY, judge_record
from autograder.probe import ProbeRecord, decode_value, encode_value
from lstm_reference import analysis
from lstm_reference.data import tasks
from lstm_reference.model import classifier_loss, init_classifier
from lstm_reference.optim import Adam, clip_global_norm


def order_ids(T: int, batch: int, rng: np.random.Generator, windows=None, label=None):
    """An independent generator written from the notebook's text (ids, labels)."""
    (lo1, hi1), (lo2, hi2) = windows or (
        (round(0.1 * T), round(0.2 * T)),
        (round(0.5 * T), round(0.6 * T)),
    )
    ids = rng.integers(0, 4, size=(T, batch))
    ids[0], ids[-1] = 4, 5
    cols = np.arange(batch)
    t1, t2 = rng.integers(lo1, hi1 + 1, size=batch), rng.integers(lo2, hi2 + 1, size=batch)
    s1, s2 = rng.integers(0, 2, size=batch), rng.integers(0, 2, size=batch)
    ids[t1, cols], ids[t2, cols] = 6 + s1, 6 + s2
    y = (2 * s1 + s2) if label is None else label(s1, s2)
    return ids, y


def one_hot(ids: np.ndarray) -> np.ndarray:
    T, B = ids.shape
    X = np.zeros((T, 8, B))
    X[np.arange(T)[:, None], ids, np.arange(B)[None, :]] = 1.0
    return X


def good_generator(T, batch, rng):
    ids, y = order_ids(T, batch, rng)
    return one_hot(ids), y


def failure(check, fn, seed: int = 0) -> str:
    with pytest.raises(AssertionError) as info:
        check(fn, seed=seed)
    return str(info.value)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_correct_generator_passes(seed: int) -> None:
    ex4.check_temporal_order(good_generator, seed=seed)


def test_reference_task_passes_the_generator_check() -> None:
    """The library's own generator (seeded from the rng) meets the same specification."""
    ex4.check_temporal_order(
        lambda T, b, rng: tasks.temporal_order(T, b, seed=int(rng.integers(2**62))), seed=3
    )


def test_swapped_label_order_is_caught() -> None:
    def gen(T, batch, rng):
        ids, y = order_ids(T, batch, rng, label=lambda s1, s2: s1 + 2 * s2)
        return one_hot(ids), y

    assert "label" in failure(ex4.check_temporal_order, gen)


def test_wrong_windows_are_caught() -> None:
    def gen(T, batch, rng):
        ids, y = order_ids(T, batch, rng, windows=((T // 10, 3 * T // 10), (T // 2, 6 * T // 10)))
        return one_hot(ids), y

    assert "window" in failure(ex4.check_temporal_order, gen)


def test_fixed_positions_are_caught() -> None:
    def gen(T, batch, rng):
        ids, y = order_ids(T, batch, rng, windows=((T // 10,) * 2, (T // 2,) * 2))
        return one_hot(ids), y

    assert "always at" in failure(ex4.check_temporal_order, gen)


def test_missing_begin_symbol_and_global_rng_are_caught() -> None:
    def no_begin(T, batch, rng):
        X, y = good_generator(T, batch, rng)
        X[0] = 0.0
        X[0, 0] = 1.0
        return X, y

    assert "start with B" in failure(ex4.check_temporal_order, no_begin)

    def global_rng(T, batch, rng):
        return good_generator(T, batch, np.random.default_rng())

    assert "same rng seed" in failure(ex4.check_temporal_order, global_rng)


def test_ids_instead_of_one_hot_are_caught() -> None:
    def gen(T, batch, rng):
        ids, y = order_ids(T, batch, rng)
        return ids[:, None, :].astype(float), y

    assert "shape" in failure(ex4.check_temporal_order, gen)


def test_gradient_flow_check() -> None:
    ex4.check_gradient_flow(lambda c, p, X: analysis.gradient_flow(c, p, X), seed=0)
    ex4.check_gradient_flow(lambda c, p, X: analysis.gradient_flow(c, p, X), seed=5)
    assert "reversed" in failure(
        ex4.check_gradient_flow, lambda c, p, X: analysis.gradient_flow(c, p, X)[::-1]
    )
    summed = failure(
        ex4.check_gradient_flow, lambda c, p, X: analysis.gradient_flow(c, p, X) * X.shape[2]
    )
    assert "averaged over the batch" in summed
    assert "shape" in failure(
        ex4.check_gradient_flow, lambda c, p, X: analysis.gradient_flow(c, p, X)[:, None]
    )


def train(cell: str, T: int, steps: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = init_classifier(8, 16, 4, cell=cell, rng=rng)
    opt = Adam(0.01)
    for _ in range(steps):
        X, y = good_generator(T, 32, rng)
        _, grads, _ = classifier_loss(p, X, y, cell=cell)
        clip_global_norm(grads, 1.0)
        opt.step(p, grads)
    return p


@pytest.fixture(scope="module")
def trained() -> dict[str, dict[str, np.ndarray]]:
    return {"lstm": train("lstm", 50, 150), "rnn": train("rnn", 50, 150)}


def test_trained_models_pass_on_fresh_sequences(trained) -> None:
    ex4.check_trained_models(trained, seed=0)
    ex4.check_trained_models(trained, seed=123)


def test_untrained_or_swapped_models_fail(trained) -> None:
    untrained = {
        "lstm": init_classifier(8, 16, 4, "lstm", np.random.default_rng(0)),
        "rnn": trained["rnn"],
    }
    assert "TRAINED['lstm'] on" in failure(ex4.check_trained_models, untrained)
    swapped = {"lstm": trained["rnn"], "rnn": trained["lstm"]}
    assert "missing the keys" in failure(ex4.check_trained_models, swapped)


def test_an_rnn_above_the_chance_band_is_rejected(trained, monkeypatch) -> None:
    monkeypatch.setattr(ex4, "RNN_MAX_ACC", 0.0)  # pretend the trained RNN did too well
    assert "stays near chance" in failure(ex4.check_trained_models, trained)


def test_verdict_is_recomputed_outside_from_the_probe_record(trained) -> None:
    """A record travels as JSON; judging it again gives the in-kernel verdict."""
    check = REGISTRY[ex4.CHECK_TRAINED.name]
    for params, ok in ((trained, True), ({"lstm": trained["rnn"], "rnn": trained["rnn"]}, False)):
        outputs = check.run_student(params, check.make_inputs(7))
        record = ProbeRecord(check.name, 7, decode_value(encode_value(outputs)))
        assert judge_record(record).ok is ok


def test_first_symbol_check() -> None:
    rng = np.random.default_rng(0)
    p = init_classifier(8, 16, 4, cell="rnn", rng=rng)
    opt = Adam(0.01)
    for _ in range(150):
        X, y = tasks.first_symbol(ex4.FIRST_SYMBOL_T, 32, seed=int(rng.integers(2**62)))
        _, grads, _ = classifier_loss(p, X, y, cell="rnn")
        clip_global_norm(grads, 1.0)
        opt.step(p, grads)
    ex4.check_first_symbol_rnn(p, seed=0)
    untrained = init_classifier(8, 16, 4, cell="rnn", rng=np.random.default_rng(1))
    assert "first symbol" in failure(ex4.check_first_symbol_rnn, untrained)
