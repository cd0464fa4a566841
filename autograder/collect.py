"""Bring student submissions into nbgrader's ``submitted/<student>/<exercise>/`` layout.

Two sources:

* a roster file (CSV with a header ``student_id,repo,ref``; ``ref`` — a branch, tag or commit — is
  optional and defaults to the repository's default branch), where ``repo`` is anything
  ``git clone`` accepts (a URL or a local path);
* a folder of clones, one sub-folder per student, named by the student id.

For every student the commit that was collected is recorded in
``submitted/<student>/<exercise>/SUBMISSION.json`` (next to nbgrader's ``timestamp.txt``), so a
later grading run can skip students whose commit did not change. Missing or malformed forks are
reported by name and the collection carries on.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

SUBMISSION_FILE = "SUBMISSION.json"
_STUDENT_ID = re.compile(r"^[A-Za-z0-9_.@-]+$")


class RosterError(ValueError):
    """A roster file that cannot be used at all (the message says why)."""


@dataclass(frozen=True)
class RosterEntry:
    student: str
    repo: str
    ref: str | None = None


@dataclass
class StudentResult:
    student: str
    status: str  # "collected" | "missing" | "malformed"
    message: str = ""
    commit: str | None = None
    exercises: list[str] = field(default_factory=list)


@dataclass
class CollectReport:
    results: list[StudentResult] = field(default_factory=list)

    def by_status(self, status: str) -> list[StudentResult]:
        return [r for r in self.results if r.status == status]

    def summary(self) -> str:
        parts = [f"{len(self.by_status(s))} {s}" for s in ("collected", "missing", "malformed")]
        return "collect: " + ", ".join(parts)


def load_roster(path: Path) -> list[RosterEntry]:
    """Read ``student_id,repo[,ref]`` rows; raise :class:`RosterError` on an unusable file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RosterError(f"roster file not found: {path}") from exc
    except UnicodeDecodeError as exc:
        raise RosterError(f"roster file is not UTF-8 text: {path}") from exc
    rows = list(csv.DictReader(line for line in text.splitlines() if line.strip()))
    if not rows or not {"student_id", "repo"} <= set(rows[0].keys()):
        raise RosterError(f"{path}: expected a CSV header 'student_id,repo[,ref]'")
    entries: list[RosterEntry] = []
    seen: set[str] = set()
    for lineno, row in enumerate(rows, start=2):
        student = (row.get("student_id") or "").strip()
        repo = (row.get("repo") or "").strip()
        ref = (row.get("ref") or "").strip() or None
        if not _STUDENT_ID.match(student):
            raise RosterError(f"{path}:{lineno}: invalid student id {student!r}")
        if not repo:
            raise RosterError(f"{path}:{lineno}: student {student} has no repo")
        if student in seen:
            raise RosterError(f"{path}:{lineno}: student {student} listed twice")
        seen.add(student)
        entries.append(RosterEntry(student, repo, ref))
    return entries


def _git(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
    )


def _first_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "unknown error"


def _fetch(entry: RosterEntry, cache: Path) -> tuple[Path, str]:
    """Clone (or update) the student's repository in ``cache``; return (checkout, commit)."""
    clone = cache / entry.student
    if (clone / ".git").is_dir():
        _git(["remote", "set-url", "origin", entry.repo], clone)
        refspec = "+refs/heads/*:refs/remotes/origin/*"
        res = _git(["fetch", "--quiet", "--tags", "--force", "origin", refspec], clone)
    else:
        if clone.exists():
            shutil.rmtree(clone)
        clone.parent.mkdir(parents=True, exist_ok=True)
        res = _git(["clone", "--quiet", "--no-checkout", entry.repo, str(clone)])
    if res.returncode != 0:
        raise LookupError(f"cannot fetch {entry.repo}: {_first_line(res.stderr)}")
    # remote-tracking branches first: a cached clone's local branches are stale after a fetch
    candidates = [f"origin/{entry.ref}", entry.ref] if entry.ref else ["origin/HEAD", "HEAD"]
    for ref in candidates:
        res = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], clone)
        if res.returncode == 0:
            commit = res.stdout.strip()
            break
    else:
        raise LookupError(f"{entry.repo} has no ref {entry.ref or 'HEAD'}")
    res = _git(["-c", "advice.detachedHead=false", "checkout", "--quiet", "--force", commit], clone)
    if res.returncode != 0:
        raise LookupError(f"cannot check out {commit[:12]}: {_first_line(res.stderr)}")
    return clone, commit


def _commit_of(folder: Path) -> tuple[str | None, str | None]:
    """(commit, commit date ISO) of a git checkout, or (None, None) if it is not one."""
    res = _git(["log", "-1", "--format=%H %cI"], folder)
    if res.returncode != 0 or not res.stdout.strip():
        return None, None
    commit, date = res.stdout.split()
    return commit, date


def _copy_submission(
    student: str,
    checkout: Path,
    commit: str | None,
    origin: str,
    exercises: list[str],
    submitted: Path,
) -> StudentResult:
    workspace = checkout / "assignments"
    if not workspace.is_dir():
        return StudentResult(
            student, "malformed", "no assignments/ folder in the repository", commit
        )
    _, date = _commit_of(checkout) if commit else (None, None)
    timestamp = date or datetime.now(UTC).isoformat()
    found: list[str] = []
    for ex in exercises:
        src = workspace / ex
        notebook = src / f"{ex}.ipynb"
        dest = submitted / student / ex
        if dest.exists():
            shutil.rmtree(dest)
        if not notebook.is_file():
            continue
        shutil.copytree(
            src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
        )
        (dest / "timestamp.txt").write_text(timestamp.replace("T", " ") + "\n", encoding="utf-8")
        manifest = {"student": student, "origin": origin, "commit": commit, "exercise": ex}
        (dest / SUBMISSION_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        found.append(ex)
    if not found:
        return StudentResult(
            student, "malformed", "no exercise notebooks under assignments/", commit
        )
    missing = sorted(set(exercises) - set(found))
    note = f"missing: {', '.join(missing)}" if missing else ""
    return StudentResult(student, "collected", note, commit, found)


def collect_from_roster(
    roster: list[RosterEntry], course_root: Path, exercises: list[str], cache: Path
) -> CollectReport:
    """Clone every roster entry and copy its notebooks into ``course_root/submitted``."""
    report = CollectReport()
    submitted = course_root / "submitted"
    for entry in roster:
        try:
            checkout, commit = _fetch(entry, cache)
        except (LookupError, subprocess.TimeoutExpired) as exc:
            report.results.append(StudentResult(entry.student, "missing", str(exc)))
            continue
        origin = f"{entry.repo}@{entry.ref}" if entry.ref else entry.repo
        report.results.append(
            _copy_submission(entry.student, checkout, commit, origin, exercises, submitted)
        )
    return report


def collect_from_clones(clones: Path, course_root: Path, exercises: list[str]) -> CollectReport:
    """Copy the notebooks of every ``clones/<student>/`` folder into ``course_root/submitted``."""
    report = CollectReport()
    submitted = course_root / "submitted"
    for folder in sorted(p for p in Path(clones).iterdir() if p.is_dir()):
        student = folder.name
        if not _STUDENT_ID.match(student):
            report.results.append(
                StudentResult(student, "malformed", "folder name is not a valid student id")
            )
            continue
        commit, _ = _commit_of(folder)
        report.results.append(
            _copy_submission(student, folder, commit, str(folder), exercises, submitted)
        )
    return report


def collected_commit(submitted: Path, student: str, exercise: str) -> str | None:
    """The commit recorded when ``student``'s ``exercise`` was collected, if any."""
    path = submitted / student / exercise / SUBMISSION_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("commit")
    except (OSError, ValueError):
        return None
