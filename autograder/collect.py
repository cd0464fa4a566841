"""Bring student submissions into nbgrader's ``submitted/<student>/<exercise>/`` layout.

Two sources:

* a roster file (CSV with a header ``student_id,repo,ref``; ``ref`` — a branch, tag or commit — is
  optional and defaults to the repository's default branch), where ``repo`` is anything
  ``git clone`` accepts (a URL or a local path);
* a folder of clones, one sub-folder per student, named by the student id.

* a course file (:mod:`autograder.course_file`): the roster with each exercise's deadline;
  each exercise is then taken from the last commit before its cut-off and its lateness is
  recorded.

For every student the commit that was collected is recorded in
``submitted/<student>/<exercise>/SUBMISSION.json`` (next to nbgrader's ``timestamp.txt``), so a
later grading run can skip students whose commit did not change. Missing or malformed forks are
reported by name and the collection carries on.

A fork is untrusted: only regular files are copied (a symbolic link, device, FIFO or socket is
never followed or opened), only the exercise's notebook and the files the exercise ships or the
course file lists, within a per-file and a per-student size cap. Every refusal is recorded with
its reason (``SUBMISSION.json``, and ``COLLECT.json`` per student) for the batch CSV.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from autograder.course_file import CourseFile, Deadline

SUBMISSION_FILE = "SUBMISSION.json"
#: per student: how the collection went (status, message, files refused outside exercises)
STUDENT_FILE = "COLLECT.json"
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
    #: files not copied: {"path": relative to the repository, "reason": why}
    refused: list[dict[str, str]] = field(default_factory=list)


@dataclass
class CollectReport:
    results: list[StudentResult] = field(default_factory=list)

    def by_status(self, status: str) -> list[StudentResult]:
        return [r for r in self.results if r.status == status]

    def summary(self) -> str:
        parts = [f"{len(self.by_status(s))} {s}" for s in ("collected", "missing", "malformed")]
        refused = sum(len(r.refused) for r in self.results)
        if refused:
            who = sorted({r.student for r in self.results if r.refused})
            parts.append(f"{refused} file(s) refused ({', '.join(who)})")
        return "collect: " + ", ".join(parts)

    def save(self, submitted: Path) -> None:
        """Write each student's ``COLLECT.json`` (status, message, refused files), which
        ``autograde batch`` reports in the CSV."""
        for r in self.results:
            if not _STUDENT_ID.match(r.student):
                continue
            folder = submitted / r.student
            folder.mkdir(parents=True, exist_ok=True)
            doc = {"student": r.student, "status": r.status, "message": r.message,
                   "commit": r.commit, "refused": r.refused}
            (folder / STUDENT_FILE).write_text(json.dumps(doc, indent=2) + "\n",
                                               encoding="utf-8")


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


#: default caps: one file, and everything copied for one student
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_SUBMISSION_BYTES = 60 * 1024 * 1024
#: editor and interpreter leftovers, skipped without a word
JUNK = frozenset({".ipynb_checkpoints", "__pycache__", ".DS_Store"})


@dataclass(frozen=True)
class Caps:
    """Size caps of a collection, in bytes."""

    file_bytes: int = MAX_FILE_BYTES
    submission_bytes: int = MAX_SUBMISSION_BYTES


def shown_name(name: str) -> str:
    """A file name safe to print and store: bytes that are not UTF-8 as ``\\xNN``, control
    characters escaped (a name can hold a newline or a terminal escape)."""
    raw = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in raw)


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link (not followed)"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refuse(refused: list[dict[str, str]], path: str, reason: str) -> None:
    refused.append({"path": shown_name(path), "reason": reason})


def _safe_dir(root: Path, parts: list[str], refused: list[dict[str, str]]) -> Path | None:
    """``root/parts…`` if every component is a real folder (no symlink); else None, refused."""
    here = root
    for i, part in enumerate(parts):
        here = here / part
        try:
            mode = os.lstat(here).st_mode
        except FileNotFoundError:
            return None
        if not stat.S_ISDIR(mode):
            _refuse(refused, "/".join(parts[: i + 1]), _kind(mode))
            return None
    return here


def allowed_files(release_folder: Path | None, exercise: str, listed: list[str]) -> set[str]:
    """Paths (relative to the exercise folder) a submission may hand in: the notebook, the
    files the released exercise ships, and the files the course lists for it."""
    allowed = {f"{exercise}.ipynb", *listed}
    if release_folder is not None and release_folder.is_dir():
        for path in release_folder.rglob("*"):
            if path.is_file() and not (JUNK & set(path.relative_to(release_folder).parts)):
                allowed.add(path.relative_to(release_folder).as_posix())
    return allowed


def copy_exercise(src: Path, dest: Path, allowed: set[str], caps: Caps, budget: list[int],
                  refused: list[dict[str, str]], prefix: str) -> list[str]:
    """Copy the regular files of ``src`` named in ``allowed`` into ``dest``.

    Never follows a symbolic link, never opens a device, FIFO or socket; a file larger than
    ``caps.file_bytes`` or beyond the submission's remaining ``budget[0]`` bytes is refused.
    Every refusal goes into ``refused`` (path relative to the repository, reason). Returns
    the relative paths copied."""
    copied: list[str] = []
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        here = Path(dirpath)
        rel_dir = here.relative_to(src)
        for name in sorted(dirnames):
            mode = os.lstat(here / name).st_mode
            if name in JUNK:
                dirnames.remove(name)
            elif not stat.S_ISDIR(mode):  # a symlink to a folder: os.walk lists it here
                dirnames.remove(name)
                _refuse(refused, f"{prefix}/{(rel_dir / name).as_posix()}", _kind(mode))
        dirnames.sort()
        for name in sorted(filenames):
            rel = (rel_dir / name).as_posix()
            shown = f"{prefix}/{rel}"
            if name in JUNK:
                continue
            try:
                rel.encode("utf-8")
            except UnicodeEncodeError:
                _refuse(refused, shown, "the file name is not UTF-8")
                continue
            try:
                info = os.lstat(here / name)
            except OSError as exc:
                _refuse(refused, shown, f"unreadable ({exc.strerror})")
                continue
            if not stat.S_ISREG(info.st_mode):
                _refuse(refused, shown, _kind(info.st_mode))
                continue
            if rel not in allowed:
                _refuse(refused, shown, "not part of the exercise")
                continue
            if info.st_size > caps.file_bytes:
                _refuse(refused, shown, f"{_mb(info.st_size)}, larger than the "
                                        f"{_mb(caps.file_bytes)} limit per file")
                continue
            if info.st_size > budget[0]:
                _refuse(refused, shown, f"{_mb(info.st_size)}: the submission is over its "
                                        f"{_mb(caps.submission_bytes)} limit")
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if not _copy_regular(here / name, target, caps.file_bytes):
                _refuse(refused, shown, "changed while it was copied (not a plain file)")
                continue
            budget[0] -= info.st_size
            copied.append(rel)
    return copied


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _copy_regular(src: Path, dest: Path, limit: int) -> bool:
    """Copy a regular file without following a link that replaced it meanwhile (O_NOFOLLOW,
    non-blocking open so a FIFO cannot stall us) and never more than ``limit`` bytes."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(src, flags)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return False
        data = fh.read(limit + 1)
    if len(data) > limit:
        return False
    dest.write_bytes(data)
    return True


def _copy_submission(
    student: str,
    checkout: Path,
    commit: str | None,
    origin: str,
    exercises: list[str],
    submitted: Path,
    course: Path | None = None,
    caps: Caps | None = None,
    listed: dict[str, list[str]] | None = None,
    commits: dict[str, dict[str, Any]] | None = None,
    budget: list[int] | None = None,
) -> StudentResult:
    """Copy what ``student`` may hand in from ``checkout/assignments/<exercise>/``.

    ``commits`` (exercise -> {"commit", "time", ...}) records, per exercise, the commit that
    was taken when the exercises come from different commits (deadlines)."""
    caps = caps or Caps()
    refused: list[dict[str, str]] = []
    workspace = _safe_dir(checkout, ["assignments"], refused)
    if workspace is None:
        message = "no assignments/ folder in the repository"
        if refused:
            message = f"assignments/ is {refused[0]['reason']}"
        return StudentResult(student, "malformed", message, commit, refused=refused)
    _, date = _commit_of(checkout) if commit else (None, None)
    budget = budget if budget is not None else [caps.submission_bytes]
    found: list[str] = []
    for ex in exercises:
        ex_refused: list[dict[str, str]] = []
        dest = submitted / student / ex
        if dest.exists():
            shutil.rmtree(dest)
        info = (commits or {}).get(ex, {})
        src = _safe_dir(checkout, ["assignments", ex], ex_refused)
        copied: list[str] = []
        if src is not None:
            release = course / "release" / ex if course is not None else None
            allowed = allowed_files(release, ex, (listed or {}).get(ex, []))
            dest.mkdir(parents=True, exist_ok=True)
            copied = copy_exercise(src, dest, allowed, caps, budget, ex_refused,
                                   f"assignments/{ex}")
        refused.extend(ex_refused)
        if f"{ex}.ipynb" not in copied and not ex_refused and not info:
            if dest.exists():
                shutil.rmtree(dest)
            continue
        dest.mkdir(parents=True, exist_ok=True)
        ex_commit = info.get("commit", commit)
        timestamp = info.get("time") or date or datetime.now(UTC).isoformat()
        (dest / "timestamp.txt").write_text(timestamp.replace("T", " ") + "\n",
                                            encoding="utf-8")
        _write_manifest(dest, student, origin, ex, {**info, "commit": ex_commit}, copied,
                        ex_refused)
        if f"{ex}.ipynb" in copied:
            found.append(ex)
    if not found:
        message = "no exercise notebooks under assignments/"
        if refused:
            message += f" ({len(refused)} file(s) refused)"
        return StudentResult(student, "malformed", message, commit, refused=refused)
    missing = sorted(set(exercises) - set(found))
    note = f"missing: {', '.join(missing)}" if missing else ""
    return StudentResult(student, "collected", note, commit, found, refused=refused)


#: repository -> [(commit a push moved the branch to, when GitHub received that push)], or
#: None when the host cannot tell (no network, not GitHub): see :func:`github_push_log`
PushLog = Callable[[str], "list[tuple[str, datetime]] | None"]
#: a commit dated this much later than the push that brought it is flagged
CLOCK_SLACK = timedelta(minutes=10)


def _history(clone: Path, head: str) -> list[tuple[str, datetime]]:
    """(commit, committer date) of every commit reachable from ``head``, newest first."""
    res = _git(["log", "--format=%H %ct", head], clone)
    out = []
    for line in res.stdout.split("\n"):
        if line.strip():
            sha, ts = line.split()
            out.append((sha, datetime.fromtimestamp(int(ts), UTC)))
    return out


def _push_times(clone: Path, pushes: list[tuple[str, datetime]]) -> dict[str, datetime]:
    """commit -> the time of the first push that contained it."""
    times: dict[str, datetime] = {}
    for after, when in sorted(pushes, key=lambda p: p[1]):
        res = _git(["rev-list", after], clone)
        if res.returncode != 0:
            continue
        for sha in res.stdout.split():
            times.setdefault(sha, when)
    return times


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def choose_commit(history: list[tuple[str, datetime]], pushed: dict[str, datetime],
                  rule: Deadline, exercise: str) -> dict[str, Any]:
    """The last commit taken under ``rule``, as the manifest records it.

    The time of a commit is when it was pushed where that is known (a commit date is the
    student's to choose), else its commit date. Returns {"commit": None, "problem": …} when
    no commit is early enough."""
    best: tuple[str, datetime, datetime] | None = None
    for sha, dated in history:
        when = pushed.get(sha, dated)
        if when <= rule.cutoff and (best is None or when > best[2]):
            best = (sha, dated, when)
    info: dict[str, Any] = {"due": _iso(rule.due), "penalty_per_day": rule.penalty_per_day}
    if best is None:
        return {**info, "commit": None,
                "problem": f"no commit before the cut-off {_iso(rule.cutoff)}"}
    sha, dated, when = best
    late = rule.late_days(when)
    flags = []
    if sha in pushed:
        if dated > when + CLOCK_SLACK:
            flags.append(f"{exercise}: commit {sha[:10]} is dated {_iso(dated)}, after it "
                         f"was pushed ({_iso(when)})")
        elif rule.late_days(dated) != late:
            flags.append(f"{exercise}: commit {sha[:10]} is dated {_iso(dated)} but was "
                         f"pushed {_iso(when)}")
    return {**info, "commit": sha, "time": _iso(when), "commit_date": _iso(dated),
            "pushed_at": _iso(pushed[sha]) if sha in pushed else None,
            "late_days": late, "factor": rule.factor(late), "flags": flags}


def github_push_log(repo: str, token: str | None = None,
                    timeout: float = 10.0) -> list[tuple[str, datetime]] | None:
    """Pushes to a GitHub repository (GitHub's repository activity API), or None when the
    repository is not on GitHub or the API cannot be reached."""
    import urllib.request

    m = re.match(r"^(?:https://github\.com/|git@github\.com:)([\w.-]+)/([\w.-]+?)(?:\.git)?/?$",
                 repo)
    if not m:
        return None
    url = (f"https://api.github.com/repos/{m[1]}/{m[2]}/activity"
           "?activity_type=push&per_page=100")
    headers = {"Accept": "application/vnd.github+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                    timeout=timeout) as resp:
            events = json.loads(resp.read().decode("utf-8"))
        return [(e["after"], datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00")))
                for e in events if e.get("after") and e.get("timestamp")]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def collect_from_roster(
    roster: list[RosterEntry], course_root: Path, exercises: list[str], cache: Path,
    caps: Caps | None = None, course_file: CourseFile | None = None,
    push_log: PushLog | None = None,
) -> CollectReport:
    """Clone every roster entry and copy its notebooks into ``course_root/submitted``.

    With a ``course_file``, each exercise that has a due date is taken from the last commit
    before its cut-off (the student's extension applied) and its lateness is recorded;
    ``push_log`` tells when commits were pushed (default: none known)."""
    report = CollectReport()
    submitted = course_root / "submitted"
    listed = course_file.files() if course_file else {}
    for entry in roster:
        try:
            checkout, commit = _fetch(entry, cache)
        except (LookupError, subprocess.TimeoutExpired) as exc:
            report.results.append(StudentResult(entry.student, "missing", str(exc)))
            continue
        origin = f"{entry.repo}@{entry.ref}" if entry.ref else entry.repo
        rules = {ex: course_file.deadline(ex, entry.student) for ex in exercises} \
            if course_file else {}
        if not any(rules.values()):
            report.results.append(_copy_submission(
                entry.student, checkout, commit, origin, exercises, submitted, course_root,
                caps, listed))
            continue
        history = _history(checkout, commit)
        pushes = push_log(entry.repo) if push_log else None
        pushed = _push_times(checkout, pushes) if pushes else {}
        chosen: dict[str, dict[str, Any]] = {}
        for ex in exercises:
            rule = rules.get(ex)
            chosen[ex] = (choose_commit(history, pushed, rule, ex) if rule
                          else {"commit": commit})
        merged = StudentResult(entry.student, "malformed", "", commit)
        budget = [(caps or Caps()).submission_bytes]
        for sha in dict.fromkeys(c["commit"] for c in chosen.values()):
            group = [ex for ex in exercises if chosen[ex]["commit"] == sha]
            if sha is None:
                for ex in group:
                    _write_manifest(submitted / entry.student / ex, entry.student, origin,
                                    ex, chosen[ex], [], [])
                continue
            res = _git(["-c", "advice.detachedHead=false", "checkout", "--quiet", "--force",
                        sha], checkout)
            if res.returncode != 0:
                continue
            part = _copy_submission(entry.student, checkout, sha, origin, group, submitted,
                                    course_root, caps, listed, chosen, budget)
            merged.exercises += part.exercises
            merged.refused += part.refused
            if part.status == "malformed" and not merged.message:
                merged.message = part.message
        late = [ex for ex in exercises if chosen[ex].get("late_days")]
        if merged.exercises:
            missing = sorted(set(exercises) - set(merged.exercises))
            notes = [f"missing: {', '.join(missing)}"] if missing else []
            notes += [f"late: {', '.join(late)}"] if late else []
            merged.status, merged.message = "collected", "; ".join(notes)
        elif not merged.message:
            merged.message = "no exercise notebooks before the deadlines"
        report.results.append(merged)
    report.save(submitted)
    return report


def _write_manifest(dest: Path, student: str, origin: str, exercise: str,
                    info: dict[str, Any], copied: list[str],
                    refused: list[dict[str, str]]) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    manifest = {"student": student, "origin": origin, "exercise": exercise, "files": copied,
                "refused": refused, **info}
    (dest / SUBMISSION_FILE).write_text(json.dumps(manifest, indent=2) + "\n",
                                        encoding="utf-8")


def collect_from_clones(clones: Path, course_root: Path, exercises: list[str],
                        caps: Caps | None = None,
                        listed: dict[str, list[str]] | None = None) -> CollectReport:
    """Copy the notebooks of every ``clones/<student>/`` folder into ``course_root/submitted``."""
    report = CollectReport()
    submitted = course_root / "submitted"
    for folder in sorted(p for p in Path(clones).iterdir() if p.is_dir()):
        student = folder.name
        if not _STUDENT_ID.match(student):
            report.results.append(
                StudentResult(shown_name(student), "malformed",
                          "folder name is not a valid student id")
            )
            continue
        commit, _ = _commit_of(folder)
        report.results.append(
            _copy_submission(student, folder, commit, str(folder), exercises, submitted,
                             course_root, caps, listed)
        )
    report.save(submitted)
    return report


def collected_commit(submitted: Path, student: str, exercise: str) -> str | None:
    """The commit recorded when ``student``'s ``exercise`` was collected, if any."""
    path = submitted / student / exercise / SUBMISSION_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("commit")
    except (OSError, ValueError):
        return None
