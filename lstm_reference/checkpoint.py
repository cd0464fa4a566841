"""Checkpoints: one ``.npz`` file, no pickle, that continues training exactly where it stopped.

Layout (every entry a plain array; text is stored as a NumPy unicode scalar)::

    format              "lstm-lab-checkpoint"      version   1
    param/<name>        model parameters (Wf, …, Wy, by)
    opt/<slot>/<name>   optimizer moment buffers; opt/t the optimizer's step counter
    vocab               the vocabulary's characters, in index order
    config              JSON: cell, sizes, optimizer, learning rate, data description, …
    step, epoch         training progress; losses: the loss of every step (optional)
    rng                 JSON of the NumPy bit generator state
    state/<k>           the carried recurrent state (h, then C for the LSTM family), (H, B)

Loading uses ``allow_pickle=False``; anything that is not such a file raises
:class:`CheckpointError` with a one-line reason.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from lstm_reference.init import Params
from lstm_reference.vocab import Vocab

FORMAT = "lstm-lab-checkpoint"
VERSION = 1
PRETRAINED = "colah_lstm.npz"


class CheckpointError(ValueError):
    """A file that is missing, unreadable or not an LSTM Lab checkpoint."""


@dataclass
class Checkpoint:
    """Everything needed to use a model, or to resume training it exactly."""

    params: Params
    config: dict[str, Any] = field(default_factory=dict)
    vocab: Vocab | None = None
    optimizer_state: dict[str, np.ndarray] = field(default_factory=dict)
    step: int = 0
    epoch: int = 0
    rng_state: dict[str, Any] | None = None
    state: tuple[np.ndarray, ...] | None = None
    losses: np.ndarray | None = None  # training loss of every step so far

    @property
    def cell(self) -> str:
        """The cell name recorded in the config (default ``lstm``)."""
        return str(self.config.get("cell", "lstm"))


def save_checkpoint(path: str | os.PathLike, ckpt: Checkpoint) -> Path:
    """Write ``ckpt`` to ``path`` (compressed ``.npz``), atomically. Returns the path."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT),
        "version": np.array(VERSION, dtype=np.int64),
        "config": np.array(json.dumps(ckpt.config, sort_keys=True)),
        "step": np.array(ckpt.step, dtype=np.int64),
        "epoch": np.array(ckpt.epoch, dtype=np.int64),
    }
    for k, v in ckpt.params.items():
        arrays[f"param/{k}"] = np.asarray(v)
    for k, v in ckpt.optimizer_state.items():
        arrays[f"opt/{k}"] = np.asarray(v)
    if ckpt.vocab is not None:
        arrays["vocab"] = np.array(ckpt.vocab.chars)
    if ckpt.rng_state is not None:
        arrays["rng"] = np.array(json.dumps(ckpt.rng_state))
    if ckpt.losses is not None:
        arrays["losses"] = np.asarray(ckpt.losses, dtype=np.float64)
    for k, s in enumerate(ckpt.state or ()):
        arrays[f"state/{k}"] = np.asarray(s)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _text(z: Any, key: str) -> str:
    return str(z[key][()])


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint` (never unpickles anything)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as z:
            keys = set(z.files)
            if "format" not in keys or _text(z, "format") != FORMAT:
                raise CheckpointError(f"{path} is not an LSTM Lab checkpoint")
            version = int(z["version"])
            if version != VERSION:
                raise CheckpointError(f"{path} has format version {version}, expected {VERSION}")
            params = {k[6:]: z[k] for k in keys if k.startswith("param/")}
            if "Wy" not in params or "by" not in params:
                raise CheckpointError(f"{path} holds no output layer (Wy, by)")
            n_state = sum(k.startswith("state/") for k in keys)
            return Checkpoint(
                params=params,
                config=json.loads(_text(z, "config")),
                vocab=Vocab(_text(z, "vocab")) if "vocab" in keys else None,
                optimizer_state={k[4:]: z[k] for k in keys if k.startswith("opt/")},
                step=int(z["step"]),
                epoch=int(z["epoch"]),
                rng_state=json.loads(_text(z, "rng")) if "rng" in keys else None,
                state=tuple(z[f"state/{k}"] for k in range(n_state)) if n_state else None,
                losses=z["losses"] if "losses" in keys else None,
            )
    except CheckpointError:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as err:
        raise CheckpointError(f"{path} is not a readable LSTM Lab checkpoint ({err})") from None


def rng_from_state(state: dict[str, Any] | None, seed: int = 0) -> np.random.Generator:
    """A Generator restored from a saved bit-generator state (or fresh from ``seed``)."""
    if state is None:
        return np.random.default_rng(seed)
    bit_generator = getattr(np.random, state["bit_generator"])()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def pretrained_path() -> Path:
    """Where the shipped character-level LSTM lives inside the package."""
    return Path(str(resources.files("lstm_reference") / "assets" / PRETRAINED))


def load_pretrained() -> Checkpoint:
    """The small LSTM trained on the built-in corpus that ships with the package.

    ``ckpt.params`` are the weights, ``ckpt.vocab`` its characters and ``ckpt.config`` the
    settings it was trained with (see docs/library.md for the command that made it).
    """
    return load_checkpoint(pretrained_path())
