"""The benchmark script runs and reports; its two implementations compute the same thing.

No timing is asserted here: speed depends on the machine and its load.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "bench_lstm.py"


def _load(name: str) -> ModuleType:
    path = ROOT / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load("bench_lstm")


@pytest.fixture(scope="module")
def naive() -> ModuleType:
    return _load("naive_lstm")


def test_quick_run_prints_a_table_and_writes_json(tmp_path: Path) -> None:
    out_json = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--json", str(out_json)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out_json.read_text())
    assert result["quick"] is True
    for dtype in ("float32", "float64"):
        assert result["matmul_peak"][dtype]["best_gflops"] > 0
    steps = result["steps"]
    assert {(s["config"], s["dtype"]) for s in steps} == {
        (c, d) for c in "abc" for d in ("float32", "float64")
    }
    for s in steps:
        assert s["ms_median"] > 0 and np.isfinite(s["gflops"]) and s["fraction_of_peak"] > 0
        assert s["tokens_per_s"] == pytest.approx(s["T"] * s["B"] / (s["ms_median"] / 1e3))
        assert ("speedup_vs_naive" in s) == (s["B"] == 1)
    # One table row per (config, dtype), with the naive speed-up on the B = 1 rows.
    row = re.compile(
        r"^([abc])\s+65\s+\d+\s+(\d+)\s+\d+\s+(float32|float64)\s+[\d.]+\s+\d+\s+[\d.]+\s+"
        r"[\d.]+%(\s+[\d.]+\s+[\d.]+x)?\s*$"
    )
    matches = [m for m in map(row.match, proc.stdout.splitlines()) if m]
    assert len(matches) == 6, proc.stdout
    for m in matches:
        assert (m.group(4) is not None) == (m.group(2) == "1")
    assert "matmul throughput" in proc.stdout


@pytest.mark.parametrize("args", [["--repeats", "0"], ["--no-such-option"]])
def test_bad_arguments_give_one_line_and_exit_2(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def _params(bench: ModuleType, V: int, H: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = bench.init_char_lm_params(V, H, rng, np.float64)
    for k in p:  # non-trivial biases too
        p[k] = p[k] + 0.3 * rng.standard_normal(p[k].shape)
    return p


def test_naive_baseline_matches_the_batched_step(bench: ModuleType, naive: ModuleType) -> None:
    V, H, T = 11, 7, 9
    p = _params(bench, V, H, 0)
    rng = np.random.default_rng(1)
    inputs, targets = rng.integers(0, V, (T, 1)), rng.integers(0, V, (T, 1))
    loss, grads = bench.char_lm_step(p, inputs, targets)
    loss_n, grads_n, _ = naive.naive_char_lm_loss(p, inputs[:, 0], targets[:, 0])
    assert loss == pytest.approx(loss_n, abs=1e-12)
    assert grads.keys() == grads_n.keys() == p.keys()
    for k in p:
        assert grads[k].shape == p[k].shape
        np.testing.assert_allclose(grads[k], grads_n[k], rtol=0, atol=1e-12, err_msg=k)


def test_naive_baseline_gradient_matches_finite_differences(naive: ModuleType, bench) -> None:
    V, H, T = 5, 3, 4
    p = _params(bench, V, H, 2)
    rng = np.random.default_rng(3)
    inputs, targets = rng.integers(0, V, T), rng.integers(0, V, T)
    _, grads, _ = naive.naive_char_lm_loss(p, inputs, targets)
    eps = 1e-6
    for k in ("Wf", "Wi", "WC", "Wo", "bf", "bC", "Wy", "by"):
        for idx in [(0, 0), (p[k].shape[0] - 1, p[k].shape[1] - 1)]:
            old = p[k][idx]
            p[k][idx] = old + eps
            up, _, _ = naive.naive_char_lm_loss(p, inputs, targets)
            p[k][idx] = old - eps
            down, _, _ = naive.naive_char_lm_loss(p, inputs, targets)
            p[k][idx] = old
            assert grads[k][idx] == pytest.approx((up - down) / (2 * eps), abs=1e-8), (k, idx)


def test_buffers_benchmark_prints_both_shapes_and_rejects_bad_rounds() -> None:
    script = ROOT / "benchmarks" / "bench_buffers.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--rounds", "1"], capture_output=True, text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()[1:]]
    assert [r[0] for r in rows] == ["a", "c"]
    assert all(float(r[4]) > 0 and float(r[5]) > 0 and r[6].endswith("x") for r in rows)
    bad = subprocess.run(
        [sys.executable, str(script), "--rounds", "0"], capture_output=True, text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


@pytest.mark.parametrize("corpus_flag", [[], ["--long-fillers-only"]])
def test_language_memory_experiment_reports_accuracy_per_filler_count(
    corpus_flag: list[str],
) -> None:
    script = ROOT / "benchmarks" / "language_memory.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--phases", "0-0:20:2,0-1:20:2", "--eval-every", "2",
         "--stories", "60", "--hidden-size", "8", *corpus_flag],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 2 and lines[1].startswith("phase 1 (fillers 0-1, seq 20) step 4")
    assert all("0: " in line and "3: " in line for line in lines)
    bad = subprocess.run(
        [sys.executable, str(script), "--phases", "nonsense"], capture_output=True, text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


TORCH_BENCH = ROOT / "benchmarks" / "bench_torch.py"
# Runs the script with ``import torch`` failing, whether or not torch is installed.
WITHOUT_TORCH = (
    "import runpy, sys; sys.modules['torch'] = None; sys.argv = sys.argv[1:]; "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)


@pytest.mark.parametrize(
    ("args", "message"),
    [([], "needs torch"), (["--configs", "a,x"], "--configs"), (["--rounds", "0"], "--rounds")],
)
def test_torch_benchmark_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH, str(TORCH_BENCH), "--quick", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_torch_benchmark_quick_run_agrees_with_torch() -> None:
    """With torch installed: both sides agree on loss and gradients (else exit 2) and time."""
    pytest.importorskip("torch", reason="torch is not a project dependency")
    proc = subprocess.run(
        [sys.executable, str(TORCH_BENCH), "--quick"], capture_output=True, text=True,
        timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines() if re.match(r"^[abc] ", line)]
    assert [(r[0], r[1]) for r in rows] == [(c, d) for c in "abc" for d in ("float32", "float64")]
