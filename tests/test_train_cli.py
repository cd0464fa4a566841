"""End-to-end tests of ``lstm-train`` (python -m lstm_reference.train)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lstm_reference.checkpoint import load_checkpoint
from lstm_reference.train import build_parser, main

SMALL = ["--stories", "40", "--hidden-size", "12", "--seq-length", "30", "--batch-size", "8",
         "--sample-length", "40", "--no-progress"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}  # tiny matrices: one BLAS thread is faster
    return subprocess.run(
        [sys.executable, "-m", "lstm_reference.train", *args],
        capture_output=True, text=True, timeout=300, env=env,
    )


@pytest.mark.slow
def test_short_run_on_the_builtin_corpus(tmp_path: Path) -> None:
    ck = tmp_path / "model.npz"
    proc = run_cli("--epochs", "2", *SMALL, "--checkpoint", str(ck), "--fillers", "1-2",
                   "--forget-bias", "2")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "built-in corpus (40 stories)" in out
    assert "epoch 1/2  loss" in out and "epoch 2/2  loss" in out
    assert "--- sample (temperature 0.8) ---" in out
    assert 'language after "speak fluent ":' in out and "(chance 10.0%)" in out
    loaded = load_checkpoint(ck)
    assert loaded.epoch == 2 and loaded.cell == "lstm" and loaded.params["Wy"].shape[1] == 12
    assert len(loaded.losses) == loaded.step > 0
    assert loaded.config["fillers"] == [1, 2] and loaded.config["forget_bias"] == 2.0


def test_resume_continues_exactly(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    one, two = tmp_path / "one.npz", tmp_path / "two.npz"
    args = [*SMALL, "--cell", "gru", "--sample-length", "0"]
    assert main(["--epochs", "3", *args, "--checkpoint", str(one)]) == 0
    assert main(["--epochs", "1", *args, "--checkpoint", str(two)]) == 0
    assert main(["--epochs", "3", "--resume", str(two), "--checkpoint", str(two),
                 "--no-progress", "--sample-length", "0"]) == 0
    a, b = load_checkpoint(one), load_checkpoint(two)
    assert a.step == b.step and b.epoch == 3 and b.cell == "gru"
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    np.testing.assert_array_equal(a.losses, b.losses)
    capsys.readouterr()


def test_resume_with_a_new_sequence_length(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A curriculum can lengthen the truncated-BPTT chunks: the new length is used and kept."""
    ck = tmp_path / "run.npz"
    assert main(["--epochs", "1", *SMALL, "--sample-length", "0", "--checkpoint", str(ck)]) == 0
    first = load_checkpoint(ck)
    assert first.config["seq_length"] == 30
    assert main(["--epochs", "2", "--resume", str(ck), "--seq-length", "45", "--checkpoint",
                 str(ck), "--no-progress", "--sample-length", "0"]) == 0
    second = load_checkpoint(ck)
    assert second.config["seq_length"] == 45 and second.epoch == 2
    n_chars = int(capsys.readouterr().out.split("built-in corpus (40 stories): ")[2].split()[0])
    # the second epoch ran as many steps as chunks of 45 characters fit, not of 30
    assert second.step - first.step == (n_chars // 8 - 1) // 45
    assert main(["--epochs", "1", *SMALL[:4], "--batch-size", "8", "--sample-length", "0",
                 "--no-progress", "--checkpoint", str(tmp_path / "d.npz")]) == 0
    assert load_checkpoint(tmp_path / "d.npz").config["seq_length"] == 300  # the default


def test_training_on_a_text_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = tmp_path / "input.txt"
    data.write_text("Ünïcode text, line after line.\n" * 30, encoding="utf-8")
    assert main(["--data", str(data), "--epochs", "1", "--hidden-size", "8", "--seq-length",
                 "20", "--batch-size", "4", "--sample-length", "30", "--no-progress",
                 "--cell", "rnn", "--optimizer", "adagrad", "--lr", "0.05"]) == 0
    out = capsys.readouterr().out
    assert f"{data}: 837 training characters (93 held out for validation)" in out
    assert "speak fluent" not in out


def test_validation_samples_prime_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Validation loss and perplexity every epoch, periodic samples from --prime, a loss PNG."""
    data = tmp_path / "input.txt"
    data.write_text("the cat sat on the mat. " * 60 + "the dog sat on the log. " * 10,
                    encoding="utf-8")
    plot = tmp_path / "loss.png"
    assert main(["--data", str(data), "--epochs", "2", "--hidden-size", "8", "--seq-length",
                 "20", "--batch-size", "4", "--sample-length", "10", "--no-progress",
                 "--sample-every", "5", "--prime", "the d", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("epoch ")]
    assert len(lines) == 2
    for ln in lines:
        loss = float(ln.split("val loss ")[1].split()[0])
        ppl = float(ln.split("val perplexity ")[1].split()[0])
        assert ppl == pytest.approx(np.exp(loss), rel=1e-2) and "tokens/s" in ln
    # 1680 characters, 168 held out: (1512 // 4 - 1) // 20 = 18 steps per epoch, 36 in all
    assert out.count("[step ") == 36 // 5 and "[step 35] 'the d" in out
    assert "--- sample (temperature 0.8) ---\nthe d" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_validation_can_be_turned_off(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = tmp_path / "input.txt"
    data.write_text("abcdefgh " * 100, encoding="utf-8")
    assert main(["--data", str(data), "--epochs", "1", "--hidden-size", "4", "--seq-length",
                 "10", "--batch-size", "2", "--sample-length", "0", "--no-progress",
                 "--val-fraction", "0"]) == 0
    out = capsys.readouterr().out
    assert "900 training characters (no validation)" in out and "val loss" not in out


def _bad_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    (tmp / "empty.txt").write_bytes(b"")
    (tmp / "binary.bin").write_bytes(bytes(range(256)) * 4)
    (tmp / "latin1.txt").write_bytes("café au lait ".encode("latin-1") * 100)
    (tmp / "short.txt").write_text("too short")
    (tmp / "junk.npz").write_bytes(b"PK\x03\x04 not really a zip")
    return {
        "missing": (["--data", str(tmp / "nope.txt")], "does not exist"),
        "empty": (["--data", str(tmp / "empty.txt")], "is empty"),
        "binary": (["--data", str(tmp / "binary.bin")], "binary"),
        "not utf-8": (["--data", str(tmp / "latin1.txt")], "not UTF-8"),
        "too short": (["--data", str(tmp / "short.txt")], "shorter than one training chunk"),
        "zero hidden": (["--hidden-size", "0"], "must be positive"),
        "negative lr": (["--lr", "-1"], "must be a positive number"),
        "bad cell": (["--cell", "transformer"], "invalid choice"),
        "bad resume": (["--resume", str(tmp / "junk.npz")], "not a readable LSTM Lab checkpoint"),
        "bad fillers": (["--fillers", "3-1"], "MIN <= MAX"),
        "nan loss": (["--lr", "1e308", "--epochs", "1", *SMALL], "training diverged"),
        "bad prime": (["--prime", "€uro", *SMALL], "--prime has characters the vocabulary"),
        "bad fraction": (["--val-fraction", "0.9"], "must be in [0, 0.5]"),
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    "case",
    ["missing", "empty", "binary", "not utf-8", "too short", "zero hidden", "negative lr",
     "bad cell", "bad resume", "bad fillers", "nan loss", "bad prime", "bad fraction"],
)
def test_bad_input_is_one_line_and_exit_code_2(tmp_path: Path, case: str) -> None:
    args, message = _bad_inputs(tmp_path)[case]
    proc = run_cli(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    err = proc.stderr.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("lstm-train: error:") and message in err, err


def test_help_lists_every_option() -> None:
    parser = build_parser()
    text = parser.format_help()
    for opt in ("--data", "--epochs", "--hidden-size", "--cell", "--seed", "--lr", "--optimizer",
                "--seq-length", "--batch-size", "--checkpoint", "--resume", "--sample-length",
                "--temperature", "--dtype", "--forget-bias", "--fillers", "--prime",
                "--sample-every", "--plot", "--val-fraction"):
        assert opt in text
    for action in parser._actions:  # every option explains itself
        assert action.help, f"{action.option_strings} has no help text"
