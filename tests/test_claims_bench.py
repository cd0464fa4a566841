"""benchmarks/claims.py: the table it prints, and that it runs the notebooks' own solutions."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def claims() -> ModuleType:
    path = ROOT / "benchmarks" / "claims.py"
    spec = importlib.util.spec_from_file_location("_bench_claims", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_table_marks_failures_and_counts(claims: ModuleType) -> None:
    claim = claims.Claim("accuracy >= 0.9", lambda a: a >= 0.9)
    text = claims.table("ex9", [claim], [[0.95, 0.5, 1.0]], 3.0)
    row = text.splitlines()[2]
    assert row == "| accuracy >= 0.9 | 0.95 | 0.50 ✗ | 1.00 | 2/3 |"
    assert text.splitlines()[0].startswith("| ex9 claim | s0 | s1 | s2 | holds |")


def test_solution_runs_the_notebook_cells(claims: ModuleType) -> None:
    ns = claims.solution("ex4_long_range", ("generator_answer", "train_answer"))
    assert ns["STEPS"] == 150 and callable(ns["train_best"])
    X, y = ns["temporal_order"](20, 5, np.random.default_rng(0))
    assert X.shape == (20, 8, 5) and y.shape == (5,)


def test_bad_arguments_exit_2(claims: ModuleType) -> None:
    with pytest.raises(SystemExit) as exc:
        claims.main(["ex9"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        claims.main(["ex2", "--seeds", "0"])
    assert exc.value.code == 2
