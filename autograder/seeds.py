"""Grader-chosen inputs: every check's seed comes from the grader, never from the kernel.

With a course secret (the instructor's; it never enters a sandbox) the seed of each call of a
check is an HMAC of the student, the exercise, the submission (commit or notebook hash), the
test cell, the call's position in it and the check's name, so a regrade of the same
submission draws the identical inputs and a new secret draws new ones. Without a secret (a
student's own run) seeds are fresh random numbers. A visible test's literal ``seed=N`` is
kept: it is the example the student sees.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

SECRET_ENV = "AUTOGRADE_SECRET"
#: the secret's file under the course folder (git-ignored; never copied into a sandbox)
SECRET_FILE = Path(".autograde") / "secret"
SEED_RANGE = 2**31 - 1


def secret_path(course: Path) -> Path:
    return course / SECRET_FILE


def load_secret(course: Path | None, create: bool = False) -> bytes | None:
    """The course secret: ``$AUTOGRADE_SECRET``, else ``<course>/.autograde/secret``.

    With ``create`` a new random secret is written there on first use (mode 600).
    """
    env = os.environ.get(SECRET_ENV, "").strip()
    if env:
        return env.encode("utf-8")
    if course is None:
        return None
    path = secret_path(course)
    try:
        text = path.read_text(encoding="utf-8").strip()
        if text:
            return text.encode("utf-8")
    except OSError:
        pass
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="utf-8").strip().encode("utf-8")


def derive_seed(secret: bytes | None, *parts: object) -> int:
    """HMAC-SHA256 of ``parts`` under ``secret`` as a seed; a fresh random seed without one."""
    if secret is None:
        return secrets.randbelow(SEED_RANGE)
    message = "\x1f".join(str(p) for p in parts).encode("utf-8")
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % SEED_RANGE


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes ('' if it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""
