"""The reference LSTM and GRU agree with PyTorch to 1e-12 in float64.

``tests/data/torch_parity.npz`` holds inputs and the outputs and gradients PyTorch computed for
them (written by ``benchmarks/make_torch_fixtures.py``; PyTorch is not needed to run these
tests). Where PyTorch happens to be installed, the same comparison also runs live on freshly
drawn weights.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from lstm_reference.gru import gru_backward, gru_forward
from lstm_reference.lstm import lstm_backward, lstm_forward

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "torch_parity.npz"
TOL = 1e-12
LSTM_CASES = ("lstm", "lstm_b1", "lstm_saturated")
GRU_CASES = ("gru_reset_after",)

Case = dict[str, np.ndarray]


def load_case(name: str) -> Case:
    with np.load(FIXTURE, allow_pickle=False) as data:
        prefix = name + "__"
        case = {k[len(prefix) :]: data[k] for k in data.files if k.startswith(prefix)}
    assert case, f"no case {name!r} in {FIXTURE}"
    return case


def _cols(a: np.ndarray) -> np.ndarray:
    """PyTorch (T, B, F) or (1, B, F) -> the project's (T, F, B) or (F, B)."""
    return a[0].T if a.shape[0] == 1 and a.ndim == 3 else a.transpose(0, 2, 1)


def _max_errors(ours: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> dict[str, float]:
    errors = {}
    for k, v in expected.items():
        assert ours[k].shape == v.shape, (k, ours[k].shape, v.shape)
        errors[k] = float(np.abs(ours[k] - v).max())
    return errors


# --------------------------------------------------------------------------- LSTM


def lstm_expected(case: Case) -> dict[str, np.ndarray]:
    """PyTorch's results, mapped to the project's names and layout (gate order i, f, C̃, o)."""
    H = case["h0"].shape[0]
    gih, ghh = case["torch_grad_weight_ih_l0"], case["torch_grad_weight_hh_l0"]
    exp = {
        "hs": _cols(case["torch_out"]),
        "h_T": _cols(case["torch_h_n"]),
        "C_T": _cols(case["torch_c_n"]),
        "dX": _cols(case["torch_grad_input"]),
        "dh0": _cols(case["torch_grad_h0"]),
        "dC0": _cols(case["torch_grad_c0"]),
    }
    for k, g in enumerate(("i", "f", "C", "o")):
        rows = slice(k * H, (k + 1) * H)
        exp["W" + g] = np.concatenate([ghh[rows], gih[rows]], axis=1)
        exp["b" + g] = case["torch_grad_bias_ih_l0"][rows, None]
    return exp


def lstm_ours(case: Case) -> dict[str, np.ndarray]:
    p = {k: case[k] for k in ("Wf", "Wi", "WC", "Wo", "bf", "bi", "bC", "bo")}
    hs, (h_T, C_T), cache = lstm_forward(case["X"], case["h0"], case["C0"], p)
    dX, (dh0, dC0), grads = lstm_backward(case["dhs"], cache, case["dh_T"], case["dC_T"])
    return {"hs": hs, "h_T": h_T, "C_T": C_T, "dX": dX, "dh0": dh0, "dC0": dC0, **grads}


def assert_lstm_matches(case: Case) -> None:
    errors = _max_errors(lstm_ours(case), lstm_expected(case))
    bad = {k: e for k, e in errors.items() if not e <= TOL}
    assert not bad, f"max |ours − torch| above {TOL}: {bad}"


@pytest.mark.parametrize("name", LSTM_CASES)
def test_lstm_matches_torch_fixture(name: str) -> None:
    assert_lstm_matches(load_case(name))


def test_fixture_uses_the_documented_lstm_mapping() -> None:
    """The stored PyTorch weights are our gates stacked (i, f, C̃, o), biases summing to ours."""
    case = load_case("lstm")
    H = case["h0"].shape[0]
    order = ("i", "f", "C", "o")
    np.testing.assert_array_equal(
        case["torch_weight_hh_l0"], np.concatenate([case["W" + g][:, :H] for g in order])
    )
    np.testing.assert_array_equal(
        case["torch_weight_ih_l0"], np.concatenate([case["W" + g][:, H:] for g in order])
    )
    np.testing.assert_allclose(
        case["torch_bias_ih_l0"] + case["torch_bias_hh_l0"],
        np.concatenate([case["b" + g] for g in order])[:, 0], rtol=0, atol=1e-15,
    )
    # Both PyTorch biases receive the gradient of their sum, our db (up to summation order).
    np.testing.assert_allclose(
        case["torch_grad_bias_ih_l0"], case["torch_grad_bias_hh_l0"], rtol=0, atol=1e-14
    )


def test_saturated_case_reaches_exp_overflow() -> None:
    """Pre-activations beyond ±710 overflow e^(±a) in float64: the fast path must still agree."""
    assert load_case("lstm_saturated")["max_abs_preactivation"] > 710


# --------------------------------------------------------------------------- GRU


def gru_expected(case: Case) -> dict[str, np.ndarray]:
    """PyTorch's nn.GRU results mapped to the reset_after GRU (gate order r, z, n; z' = 1 − z)."""
    H = case["h0"].shape[0]
    gih, ghh = case["torch_grad_weight_ih_l0"], case["torch_grad_weight_hh_l0"]
    gbi, gbh = case["torch_grad_bias_ih_l0"], case["torch_grad_bias_hh_l0"]
    r, z, n = slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H)
    return {
        "hs": _cols(case["torch_out"]),
        "h_T": _cols(case["torch_h_n"]),
        "dX": _cols(case["torch_grad_input"]),
        "dh0": _cols(case["torch_grad_h0"]),
        "Wr": np.concatenate([ghh[r], gih[r]], axis=1),
        "Wz": -np.concatenate([ghh[z], gih[z]], axis=1),
        "Wh": np.concatenate([ghh[n], gih[n]], axis=1),
        "br": gbi[r, None],
        "bz": -gbi[z, None],
        "bh": gbi[n, None],
        "bhn": gbh[n, None],
    }


def gru_ours(case: Case) -> dict[str, np.ndarray]:
    p = {k: case[k] for k in ("Wz", "Wr", "Wh", "bz", "br", "bh", "bhn")}
    hs, h_T, cache = gru_forward(case["X"], case["h0"], p, reset_after=True)
    dX, dh0, grads = gru_backward(case["dhs"], cache, case["dh_T"])
    return {"hs": hs, "h_T": h_T, "dX": dX, "dh0": dh0, **grads}


def assert_gru_matches(case: Case) -> None:
    errors = _max_errors(gru_ours(case), gru_expected(case))
    bad = {k: e for k, e in errors.items() if not e <= TOL}
    assert not bad, f"max |ours − torch| above {TOL}: {bad}"


@pytest.mark.parametrize("name", GRU_CASES)
def test_gru_reset_after_matches_torch_fixture(name: str) -> None:
    assert_gru_matches(load_case(name))


# --------------------------------------------------------------------------- live, if torch exists


@pytest.fixture(scope="module")
def fixtures_module() -> ModuleType:
    pytest.importorskip(
        "torch", reason="PyTorch is not installed: only the stored fixture is compared"
    )
    path = ROOT / "benchmarks" / "make_torch_fixtures.py"
    spec = importlib.util.spec_from_file_location("_make_torch_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", [0, 1])
def test_lstm_matches_live_torch(fixtures_module: ModuleType, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for shape in fixtures_module.LSTM_CASES.values():
        assert_lstm_matches(fixtures_module.lstm_case(rng, *shape))


@pytest.mark.parametrize("seed", [0, 1])
def test_gru_reset_after_matches_live_torch(fixtures_module: ModuleType, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for shape in fixtures_module.GRU_CASES.values():
        assert_gru_matches(fixtures_module.gru_case(rng, *shape))
