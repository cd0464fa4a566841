"""Grade a whole class: every collected submission in ``submitted/<student>/<exercise>/``.

Each (student, exercise) is graded by the kit's own grader (:func:`autograder.grade.grade_all`:
verdicts recomputed outside the student's kernel) in a pool of worker processes, ``jobs`` at a
time. A worker that crashes or outlives its deadline is killed with everything it started and
replaced; that submission is recorded as ``crashed`` and the batch goes on.

Output folder (default ``grader-output/batch`` under the course), one sub-folder per student::

    students/<student>/<exercise>.json    state, commit, skip key and the results document
    students/<student>/results.json       all exercises merged (Gradescope-compatible)
    students/<student>/feedback/<exercise>.html
    students/<student>/graded/<exercise>.ipynb   the graded notebook, hidden tests removed,
                                                 test outputs replaced by the verdicts
    grades.csv                            one row per student, one column per test cell

A re-run skips a submission whose skip key did not change: the collected commit (or the
notebook's content hash when it was not collected from git) together with a hash of the
exercise's trusted notebook, so changing a hidden test re-grades everyone. Submissions whose
grading crashed are always tried again.

Shards (``K/N``) split students by a stable hash of their id, so ``collect`` and ``batch`` agree
on who belongs to shard K without sharing anything; :func:`merge` joins shard folders.

Heavy modules (nbformat, the grader) are imported where they are used, so a worker process
starts quickly.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import signal
import stat
import statistics
import sys
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from autograder.collect import collected_commit

STUDENTS = "students"
GRADES_CSV = "grades.csv"
STUDENT_ID = re.compile(r"^[A-Za-z0-9_.@-]+$")
#: states of one (student, exercise)
GRADED, ERROR, CRASHED, MISSING = "graded", "error", "crashed", "missing"


class BatchError(ValueError):
    """Unusable input for a batch (the message says what to fix)."""


# --------------------------------------------------------------------------- shards


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> (K, N) with 1 <= K <= N; BatchError otherwise."""
    try:
        k_text, n_text = text.split("/")
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise BatchError(f"--shard must look like K/N (e.g. 2/4), got {text!r}") from None
    if n < 1 or not 1 <= k <= n:
        raise BatchError(f"--shard {text}: need 1 <= K <= N")
    return k, n


def in_shard(student: str, shard: tuple[int, int] | None) -> bool:
    """Whether ``student`` belongs to shard ``(K, N)`` (stable across machines and runs)."""
    if shard is None:
        return True
    k, n = shard
    return zlib.crc32(student.encode("utf-8")) % n == k - 1


# --------------------------------------------------------------------------- what to grade


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in blocks (a submission may be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _regular(path: Path) -> bool:
    """A regular file, not a symbolic link to one."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def trusted_notebook(course: Path, exercise: str) -> Path | None:
    """The instructor notebook (``source/``) or, failing that, the released one."""
    for sub in ("source", "release"):
        path = course / sub / exercise / f"{exercise}.ipynb"
        if path.is_file():
            return path
    return None


def test_cells(notebook: Path) -> list[tuple[str, float]]:
    """``[(grade_id, points)]`` of the autograded test cells of a trusted notebook, in order.

    Raises :class:`autograder.assemble.NotebookError` if it cannot be read."""
    from autograder.assemble import load_notebook, nbgrader_meta

    nb = load_notebook(notebook)
    out: list[tuple[str, float]] = []
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if (meta is not None and cell.cell_type == "code" and meta.get("grade")
                and not meta.get("solution")):
            out.append((meta["grade_id"], float(meta.get("points") or 0.0)))
    return out


@dataclass(frozen=True)
class Task:
    """One submission to grade: ``submitted/<student>/<exercise>/<exercise>.ipynb``.

    ``trusted`` is the course's own notebook with the tests (``source/``, else ``release/``):
    always taken from the course, never looked up from the submission's folder, which the
    student controls (it could carry a ``source/`` of its own).
    """

    student: str
    exercise: str
    folder: Path
    commit: str | None
    key: str
    trusted: Path | None = None
    release: Path | None = None

    @property
    def notebook(self) -> Path:
        return self.folder / f"{self.exercise}.ipynb"


def discover(course: Path, exercises: list[str], shard: tuple[int, int] | None = None,
             students: Iterable[str] | None = None) -> list[Task]:
    """Every (student, exercise) under ``course/submitted`` (students sorted by id).

    A student folder without a notebook for an exercise still yields a task (graded as
    missing). ``students`` restricts the set (e.g. a roster).
    """
    submitted = course / "submitted"
    if not submitted.is_dir():
        return []
    wanted = set(students) if students is not None else None
    digests, trusted, release = {}, {}, {}
    for ex in exercises:
        trusted[ex] = trusted_notebook(course, ex)
        digests[ex] = sha256(trusted[ex].read_bytes())[:16] if trusted[ex] else "none"
        released = course / "release" / ex / f"{ex}.ipynb"
        release[ex] = released if released.is_file() else None
    tasks = []
    for folder in sorted(p for p in submitted.iterdir()
                         if p.is_dir() and not p.is_symlink()):
        student = folder.name
        if student.startswith(".") or not in_shard(student, shard):
            continue
        if wanted is not None and student not in wanted:
            continue
        if not STUDENT_ID.match(student):
            from autograder.collect import shown_name

            print(f"skipped submitted/{shown_name(student)}: not a valid student id "
                  "(letters, digits, _.@-)", file=sys.stderr)
            continue
        for ex in exercises:
            nb = folder / ex / f"{ex}.ipynb"
            commit = collected_commit(submitted, student, ex)
            if (folder / ex).is_symlink() or not _regular(nb):
                ident = "missing"
            elif commit:
                ident = f"commit:{commit}"
            else:
                ident = "sha256:" + file_sha256(nb)
            tasks.append(Task(student, ex, folder / ex, commit, f"{ident}|source:{digests[ex]}",
                              trusted[ex], release[ex]))
    return tasks


# --------------------------------------------------------------------------- stored results


def student_dir(out: Path, student: str) -> Path:
    return out / STUDENTS / student


def record_path(out: Path, student: str, exercise: str) -> Path:
    return student_dir(out, student) / f"{exercise}.json"


_RECORD_CACHE: dict[Path, tuple[tuple[int, int, int], dict[str, Any]]] = {}


def load_record(path: Path) -> dict[str, Any] | None:
    """A stored per-exercise record, or None if absent or unreadable (kept in memory while
    the file is unchanged: the CSV is rebuilt after every submission)."""
    try:
        st = os.stat(path)
        cached = _RECORD_CACHE.get(path)
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or "results" not in doc or "state" not in doc:
        return None
    if len(_RECORD_CACHE) > 50_000:
        _RECORD_CACHE.clear()
    _RECORD_CACHE[path] = (stamp, doc)
    return doc


def is_unchanged(out: Path, task: Task) -> bool:
    """True when the stored record of ``task`` was graded from the same commit and tests
    (a submission whose grading crashed is always tried again)."""
    doc = load_record(record_path(out, task.student, task.exercise))
    return doc is not None and doc.get("key") == task.key and doc["state"] != CRASHED


def placeholder_results(exercise: str, notebook: str, tests: list[tuple[str, float]],
                        status: str, message: str) -> dict[str, Any]:
    """A results document for an exercise that produced no verdicts (every test cell 0)."""
    from autograder import report

    ex = {
        "exercise": exercise, "notebook": notebook, "status": status, "passed": False,
        "points": 0.0, "max_points": sum(p for _, p in tests), "seconds": 0.0,
        "message": message, "repairs": [], "notes": [],
        "tests": [{"grade_id": g, "passed": False, "points": 0.0, "max_points": p,
                   "message": message, "hint": ""} for g, p in tests],
    }
    return report.merge([{"extra_data": {"exercises": [ex]}}])


# --------------------------------------------------------------------------- one submission


def graded_notebook(result: Any) -> Any:
    """The executed notebook made safe to hand out: probe outputs dropped, test cells showing
    their visible part and the verdict instead of the hidden tests and tracebacks."""
    import copy

    import nbformat

    from autograder.assemble import strip_hidden
    from autograder.probe import PROBE_MIME

    nb = copy.deepcopy(result.executed)
    verdicts = {t.grade_id: t for t in result.tests}
    for cell, role in zip(nb.cells, result.assembled.roles, strict=True):
        if cell.cell_type != "code":
            continue
        cell.outputs = [o for o in cell.get("outputs", [])
                        if PROBE_MIME not in (o.get("data") or {})]
        if role.kind != "test":
            continue
        cell.source = strip_hidden(role.trusted_source)
        t = verdicts.get(role.grade_id or "")
        if t is None:
            cell.outputs = []
        elif t.passed:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                   text=f"passed ({t.points:g} points)\n")]
        else:
            text = t.message + (f"\n{t.hint}" if t.hint else "")
            cell.outputs = [nbformat.v4.new_output(
                "error", ename="Failed", evalue=t.message, traceback=[f"Failed: {text}"])]
    return nb


@dataclass(frozen=True)
class GradeJob:
    """What a worker needs to grade one task (picklable: workers are separate processes)."""

    limits: Any  # autograder.limits.Limits
    max_notebook_bytes: int = 20 * 1024 * 1024
    #: digest of the trusted inputs taken before the first kernel (see :func:`trusted_digest`)
    trusted: str = ""

    def __call__(self, task: Task) -> dict[str, Any]:
        if self.trusted and trusted_digest(task.trusted.parent.parent.parent
                                           if task.trusted else Path(".")) != self.trusted:
            tests = test_cells(task.trusted) if task.trusted else []
            return {"state": ERROR, "message": TRUSTED_CHANGED, "results": placeholder_results(
                task.exercise, str(task.notebook), tests, "error", TRUSTED_CHANGED),
                "feedback": "", "notebook": None, "flags": [], "answers": {}}
        return grade_task(task, self.limits, self.max_notebook_bytes)


TRUSTED_CHANGED = ("the grader's trusted files (checks, reference, course notebooks) changed "
                   "during the run: not graded")


def trusted_digest(course: Path) -> str:
    """One sha256 over everything a grade depends on and a student must never change: the
    kit's checks and grader, the reference library, the course's source/ and release/
    notebooks."""
    import autograder
    import lstm_reference

    digest = hashlib.sha256()
    roots = [Path(autograder.__file__).parent, Path(lstm_reference.__file__).parent]
    files = [(root.parent, p) for root in roots for p in sorted(root.rglob("*"))
             if p.is_file() and "__pycache__" not in p.parts]
    for sub in ("source", "release"):
        files += [(course, p) for p in sorted((course / sub).glob("*/*.ipynb"))]
    for base, path in files:
        digest.update(str(path.relative_to(base)).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()


def answer_sources(result: Any) -> dict[str, str]:
    """{grade_id: source} of the answer cells the student changed (for similarity)."""
    assembled = result.assembled
    if assembled is None:
        return {}
    return {r.grade_id: c.source for c, r in zip(assembled.nb.cells, assembled.roles,
                                                  strict=True)
            if r.kind == "answer" and r.attempted and r.grade_id}


def grade_task(task: Task, limits: Any, max_notebook_bytes: int = 20 * 1024 * 1024,
               ) -> dict[str, Any]:
    """Grade one submission with the kit's grader; plain data for the parent process.

    A notebook that cannot be graded at all (see :func:`autograder.flags.precheck_notebook`)
    gets 0 on every test cell and the reason, without starting a kernel."""
    import nbformat

    from autograder import flags, report
    from autograder.grade import Target, grade_all

    problem = flags.precheck_notebook(task.notebook, max_notebook_bytes)
    if problem is not None:  # every test cell 0, the reason in the feedback too
        from autograder.judge import CellResult, ExerciseResult

        result = ExerciseResult(task.exercise, task.notebook.name, "error", problem)
        result.tests = [CellResult(gid, points, False, problem)
                        for gid, points in (test_cells(task.trusted) if task.trusted else [])]
        return {"state": ERROR, "message": problem, "results": report.results_json([result]),
                "feedback": report.feedback_html(result), "notebook": None, "flags": [],
                "answers": {}}
    hidden = task.trusted is not None and task.trusted.parent.parent.name == "source"
    course = task.trusted.parent.parent.parent if task.trusted is not None else None
    target = Target(task.exercise, task.notebook, task.trusted,
                    task.release if hidden else None, hidden, student=task.student,
                    course=course)
    [result] = grade_all([target], limits)
    notebook = None
    if result.executed is not None and result.assembled is not None:
        notebook = nbformat.writes(graded_notebook(result))
    return {
        "state": ERROR if result.status == "error" else GRADED,
        "message": result.message,
        "results": report.results_json([result]),
        "feedback": report.feedback_html(result),
        "notebook": notebook,
        "flags": (flags.repair_flags(task.exercise, result.repairs)
                  + flags.limit_flags(task.exercise, result)),
        "answers": answer_sources(result),
    }


# --------------------------------------------------------------------------- worker pool


def _worker_main(conn: Any, fn: Callable[[Any], Any]) -> None:
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # its own process group: a kill also takes the kernels it started
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn.send(("ready", None))  # imports done: deadlines count from the first task
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        try:
            reply = ("ok", fn(item))
        except BaseException as exc:  # a grader bug on one submission must not end the batch
            reply = ("error", f"{type(exc).__name__}: {exc}".splitlines()[0])
        conn.send(reply)


def _descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (read from ``/proc``; empty where there is none)."""
    children: dict[int, list[int]] = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", encoding="utf-8") as fh:
                    stat = fh.read()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class _Worker:
    def __init__(self, ctx: Any, fn: Callable[[Any], Any]) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, fn), name="autograde-worker")
        self.proc.start()
        child.close()
        self.ready = False
        self.item: Any = None
        self.started = 0.0

    def kill(self) -> None:
        """Kill the worker and everything it started: its own process group, and the
        process groups of its descendants (a kernel runs in a session of its own)."""
        if self.proc.pid is not None:
            pids = [self.proc.pid, *_descendants(self.proc.pid)]
            groups = set()
            for pid in pids:
                with contextlib.suppress(OSError):
                    groups.add(os.getpgid(pid))
            groups.discard(os.getpgrp())
            for group in groups:
                with contextlib.suppress(OSError):
                    os.killpg(group, signal.SIGKILL)
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        self.proc.join(5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self.conn.send(None)
        self.proc.join(5)
        if self.proc.is_alive():
            self.kill()
        else:
            self.conn.close()

    def receive(self) -> tuple[str, Any] | None:
        """The worker's message, or None if it has none (or died)."""
        try:
            if self.conn.poll():
                return self.conn.recv()
        except (EOFError, OSError):
            pass
        return None


def run_parallel(items: list[Any], fn: Callable[[Any], Any], jobs: int, deadline: float,
                 on_result: Callable[[Any, str, Any], None]) -> None:
    """Call ``fn(item)`` for every item in ``jobs`` worker processes.

    ``on_result(item, kind, value)`` is called in this process as each item ends: kind ``"ok"``
    (value = what ``fn`` returned), ``"error"`` (``fn`` raised; value = the message) or
    ``"crashed"`` (the worker died, or ran longer than ``deadline`` seconds and was killed with
    its process group; value = the message). A dead worker is replaced. ``fn`` must be
    picklable; its module is imported once per worker, before deadlines start counting.
    """
    ctx = multiprocessing.get_context("spawn")
    pending = deque(items)
    workers = [_Worker(ctx, fn) for _ in range(max(1, min(jobs, len(items))))]
    failed_starts = 0
    try:
        while True:
            for w in workers:
                if w.ready and w.item is None and pending:
                    w.item, w.started = pending.popleft(), time.monotonic()
                    with contextlib.suppress(OSError, BrokenPipeError):
                        w.conn.send(w.item)  # a dead worker is noticed below
            busy = [w for w in workers if w.item is not None]
            if not busy and not pending:
                return
            live = [w for w in workers if w.item is not None or not w.ready]
            now = time.monotonic()
            timeout = max(0.0, min(w.started + deadline - now for w in busy)) if busy else None
            ready = set(wait([w.conn for w in live] + [w.proc.sentinel for w in live],
                             timeout=timeout))
            for i, w in enumerate(workers):
                if w.conn not in ready and w.proc.sentinel not in ready and (
                        w.item is None or time.monotonic() - w.started <= deadline):
                    continue
                message = w.receive() if (w.conn in ready or w.proc.sentinel in ready) else None
                if not w.ready:
                    if message is not None and message[0] == "ready":
                        w.ready = True
                        continue
                    if w.proc.is_alive():
                        continue
                    failed_starts += 1
                    if failed_starts > 3 + 2 * jobs:
                        raise RuntimeError("the grading worker processes keep dying at start-up")
                    w.kill()
                    workers[i] = _Worker(ctx, fn)
                    continue
                if w.item is None:  # an idle worker died: replace it
                    if not w.proc.is_alive():
                        w.kill()
                        workers[i] = _Worker(ctx, fn)
                    continue
                item = w.item
                if message is not None:
                    kind, value = message
                elif not w.proc.is_alive():
                    kind, value = "crashed", (
                        f"the grading process died (exit code {w.proc.exitcode}) while grading "
                        "this submission")
                elif time.monotonic() - w.started > deadline:
                    kind, value = "crashed", (
                        f"grading took longer than {deadline:g} s and was stopped")
                else:
                    continue
                if kind == "crashed":
                    w.kill()
                    workers[i] = _Worker(ctx, fn)
                else:
                    w.item = None
                on_result(item, kind, value)
    finally:
        for w in workers:
            if w.item is not None or not w.ready:
                w.kill()
            else:
                w.stop()


# --------------------------------------------------------------------------- the batch


@dataclass
class BatchRun:
    """What one run did (counts are of (student, exercise) submissions)."""

    tasks: list[Task] = field(default_factory=list)
    graded: list[Task] = field(default_factory=list)
    unchanged: list[Task] = field(default_factory=list)
    seconds: float = 0.0


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def store(out: Path, task: Task, state: str, message: str, results: dict[str, Any],
          feedback: str | None = None, notebook: str | None = None,
          flags: list[str] | None = None, answers: dict[str, str] | None = None) -> None:
    """Write one submission's record, feedback and graded notebook; refresh its results.json.

    ``flags`` ask a person for a look (never change points); ``answers`` are the student's
    answer cells (for the similarity report). What ``collect`` recorded (refused files,
    lateness) is kept in the record under ``collected``."""
    from autograder.flags import collected_info

    folder = student_dir(out, task.student)
    for path, text in ((folder / "feedback" / f"{task.exercise}.html", feedback),
                       (folder / "graded" / f"{task.exercise}.ipynb", notebook)):
        if text is not None:
            _write_text(path, text)
        elif path.exists():
            path.unlink()
    record = {
        "student": task.student, "exercise": task.exercise, "state": state,
        "commit": task.commit, "key": task.key, "message": message,
        "graded_at": datetime.now(UTC).isoformat(timespec="seconds"), "results": results,
        "flags": list(flags or []), "answers": dict(answers or {}),
        "collected": collected_info(task.folder),
    }
    _write_text(record_path(out, task.student, task.exercise), json.dumps(record, indent=1) + "\n")
    write_student_results(out, task.student)


def write_student_results(out: Path, student: str) -> dict[str, Any]:
    """Merge a student's per-exercise records into ``results.json`` (and return it)."""
    from autograder import report

    folder = student_dir(out, student)
    records = [r for p in sorted(folder.glob("*.json")) if p.name != "results.json"
               if (r := load_record(p)) is not None]
    doc = report.merge(r["results"] for r in records)
    doc["extra_data"]["student"] = student
    doc["extra_data"]["submissions"] = {
        r["exercise"]: {"state": r["state"], "commit": r["commit"], "message": r["message"]}
        for r in records}
    _write_text(folder / "results.json", json.dumps(doc, indent=1) + "\n")
    return doc


def missing_reason(task: Task) -> str:
    """Why ``task`` has no notebook: what collection refused or recorded, else nothing sent."""
    from autograder.flags import collected_info

    info = collected_info(task.folder)
    name = f"{task.exercise}.ipynb"
    refused = info.get("refused", [])
    for refusal in refused:
        if str(refusal.get("path", "")).endswith("/" + name):
            return f"the notebook was refused at collection: {refusal.get('reason')}"
    if refused:
        listed = "; ".join(f"{r.get('path')}: {r.get('reason')}" for r in refused[:3])
        return f"no {name} was collected (refused: {listed})"
    if info.get("problem"):
        return str(info["problem"])
    return "no notebook was submitted"


def refresh_collected(out: Path, task: Task) -> None:
    """Update what collection recorded (e.g. an extension granted since) in a stored record
    that is not re-graded."""
    from autograder.flags import collected_info

    path = record_path(out, task.student, task.exercise)
    doc = load_record(path)
    info = collected_info(task.folder)
    if doc is not None and doc.get("collected") != info:
        doc = {**doc, "collected": info}
        _write_text(path, json.dumps(doc, indent=1) + "\n")


def run_batch(course: Path, out: Path, exercises: list[str], limits: Any, jobs: int,
              shard: tuple[int, int] | None = None, force: bool = False,
              students: Iterable[str] | None = None, progress: bool = True,
              job: Callable[[Task], dict[str, Any]] | None = None,
              deadline_slack: float = 60.0, max_notebook_bytes: int = 20 * 1024 * 1024,
              csv_students: Iterable[str] | None = None, fingerprint: str = "") -> BatchRun:
    """Grade every submission of ``exercises`` in ``course/submitted`` into ``out``.

    ``job`` grades one task in a worker (default :class:`GradeJob` with ``limits``); tests
    pass their own to simulate crashes. A worker still busy ``deadline_slack`` seconds after
    the notebook's own time limits (start-up + notebook + output wait) is killed.

    ``out/grades.csv`` is rewritten (atomically) after every finished submission, for the
    students of this run plus ``csv_students`` (e.g. the roster), so an interrupted batch
    leaves a valid CSV and a re-run grades only what is missing or changed.
    """
    from tqdm import tqdm

    from autograder.assemble import NotebookError

    start = time.monotonic()
    run = BatchRun(tasks=discover(course, exercises, shard, students))
    tests: dict[str, list[tuple[str, float]]] = {}
    for ex in exercises:
        trusted = trusted_notebook(course, ex)
        try:
            tests[ex] = test_cells(trusted) if trusted else []
        except NotebookError:
            tests[ex] = []
    everyone = sorted({t.student for t in run.tasks} | set(csv_students or []))
    todo = []
    for task in run.tasks:
        if not force and is_unchanged(out, task):
            refresh_collected(out, task)
            run.unchanged.append(task)
        elif task.folder.is_symlink() or not _regular(task.notebook):
            reason = missing_reason(task)
            store(out, task, MISSING, reason,
                  placeholder_results(task.exercise, str(task.notebook), tests[task.exercise],
                                      "error", reason))
            run.graded.append(task)
        else:
            todo.append(task)
    bar = tqdm(total=len(run.tasks), initial=len(run.tasks) - len(todo), desc="grading",
               unit="nb", disable=not progress or not todo, dynamic_ncols=True,
               mininterval=0.5,
               bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} student×exercise "
                          "[{elapsed}<{remaining}]{postfix}")

    def done(task: Task, kind: str, value: Any) -> None:
        try:
            if kind == "ok":
                store(out, task, value["state"], value["message"], value["results"],
                      value["feedback"], value["notebook"], value.get("flags"),
                      value.get("answers"))
            else:
                message = (f"the grader failed on this submission ({value})"
                           if kind == "error" else value)
                store(out, task, CRASHED, message,
                      placeholder_results(task.exercise, str(task.notebook),
                                          tests[task.exercise], "error", message),
                      flags=[f"{task.exercise}: limit: {message}"] if kind == "crashed"
                      else None)
        except Exception as exc:  # storing one result must not end the batch
            message = f"the grader could not store this result ({type(exc).__name__})"
            try:
                store(out, task, ERROR, message,
                      placeholder_results(task.exercise, str(task.notebook),
                                          tests[task.exercise], "error", message))
            except Exception:
                print(f"autograde batch: {task.student}/{task.exercise}: {message}; it will "
                      "be graded again on the next run", file=sys.stderr)
        run.graded.append(task)
        write_grades_csv(out, everyone, exercises)
        bar.set_postfix_str(f"{task.student}/{task.exercise}", refresh=False)
        bar.update(1)

    deadline = (limits.notebook_timeout + limits.startup_timeout + limits.iopub_timeout
                + deadline_slack)
    try:
        if todo:
            write_grades_csv(out, everyone, exercises)
        run_parallel(todo, job or GradeJob(limits.with_overrides(jobs=jobs),
                                           max_notebook_bytes, fingerprint), jobs, deadline,
                     done)
    finally:
        bar.close()
    run.seconds = time.monotonic() - start
    return run


def similarity_report(out: Path, students: list[str], exercises: list[str] | None = None,
                      course: Path | None = None) -> dict[str, Any]:
    """Compare the answer cells of every stored submission (pairs of students, and each
    student against ``lstm_reference``); writes ``out/similarity.{json,html}``."""
    import lstm_reference
    from autograder import similarity

    records = [rec for student in students for ex, rec in _records(out, student).items()
               if exercises is None or ex in exercises]
    boilerplate = {}
    for ex in {r["exercise"] for r in records}:
        release = course / "release" / ex / f"{ex}.ipynb" if course is not None else None
        try:
            boilerplate[ex] = similarity.release_boilerplate(release)
        except (OSError, ValueError):
            boilerplate[ex] = ""
    reference = similarity.reference_sources(Path(lstm_reference.__file__).parent)
    return similarity.write_report(out, records, boilerplate, reference)


# --------------------------------------------------------------------------- CSV and summary


def stored_students(out: Path) -> list[str]:
    base = out / STUDENTS
    return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []


def _records(out: Path, student: str) -> dict[str, dict[str, Any]]:
    folder = student_dir(out, student)
    found = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if path.name != "results.json" and (rec := load_record(path)) is not None:
            found[rec["exercise"]] = rec
    return found


def _exercise_doc(record: dict[str, Any]) -> dict[str, Any]:
    return record["results"]["extra_data"]["exercises"][0]


def columns(out: Path, students: list[str], exercises: list[str] | None = None,
            ) -> dict[str, list[tuple[str, float]]]:
    """{exercise: [(grade_id, max points)]} as stored, test cells in the notebook's order."""
    cols: dict[str, list[tuple[str, float]]] = {}
    for student in students:
        for ex, rec in _records(out, student).items():
            if exercises is not None and ex not in exercises:
                continue
            known = cols.setdefault(ex, [])
            for t in _exercise_doc(rec)["tests"]:
                if t["grade_id"] not in [g for g, _ in known]:
                    known.append((t["grade_id"], float(t["max_points"])))
    order = exercises if exercises is not None else sorted(cols)
    return {ex: cols.get(ex, []) for ex in order}


def _num(x: float) -> str:
    return f"{x:g}"


SIMILARITY_JSON = "similarity.json"


def similarity_flags(out: Path) -> dict[str, list[str]]:
    """student -> flags from the last similarity report of ``out`` (if any)."""
    try:
        doc = json.loads((out / SIMILARITY_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found: dict[str, list[str]] = {}
    for pair in doc.get("pairs", []):
        score = f"{round(100 * pair['score'])}%"
        found.setdefault(pair["a"], []).append(
            f"{pair['exercise']}: similar to {pair['b']} ({score})")
        found.setdefault(pair["b"], []).append(
            f"{pair['exercise']}: similar to {pair['a']} ({score})")
    for hit in doc.get("reference", []):
        found.setdefault(hit["student"], []).append(
            f"{hit['exercise']}: similar to the reference {hit['file']} "
            f"({round(100 * hit['score'])}%)")
    return found


def record_flags(rec: dict[str, Any]) -> list[str]:
    """A record's flags: from grading, and what collection recorded."""
    from autograder.flags import refused_flags

    collected = rec.get("collected") or {}
    return (list(rec.get("flags") or [])
            + refused_flags(rec["exercise"], collected.get("refused") or [])
            + list(collected.get("flags") or []))


def grades_rows(out: Path, students: list[str], exercises: list[str] | None = None,
                ) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the grades CSV (see :func:`write_grades_csv`)."""
    from autograder.flags import csv_cell

    cols = columns(out, students, exercises)
    similar = similarity_flags(out)
    header = ["student_id", "commit"]
    for ex, cells in cols.items():
        header += [f"{ex}:{gid}" for gid, _ in cells] + [f"{ex}:total", f"{ex}_late_days",
                                                         f"{ex}_after_late"]
    header += ["total", "max_total", "total_after_late", "late", "flags", "problems", "sandbox"]
    max_total = sum(p for cells in cols.values() for _, p in cells)
    rows = []
    for student in students:
        recs = _records(out, student)
        row, total, after, problems, commits = [student], 0.0, 0.0, [], set()
        flags: list[str] = []
        late = False
        sandboxed: list[bool] = []
        for ex, cells in cols.items():
            rec = recs.get(ex)
            if rec is not None:
                flags += record_flags(rec)
            if rec is None or rec["state"] == MISSING:
                row += [""] * len(cells) + ["0", "", "0"]
                reason = (rec or {}).get("message") or "no notebook submitted"
                problems.append(f"{ex}: {reason}")
                continue
            if rec.get("commit"):
                commits.add(rec["commit"])
            if rec["state"] == GRADED:
                sandboxed.append(bool(_exercise_doc(rec).get("sandboxed", False)))
            got = {t["grade_id"]: float(t["points"]) for t in _exercise_doc(rec)["tests"]}
            points = [got.get(gid, 0.0) for gid, _ in cells]
            collected = rec.get("collected") or {}
            late_days = collected.get("late_days")
            factor = float(collected.get("factor", 1.0)) if late_days else 1.0
            late = late or bool(late_days)
            kept = round(sum(points) * factor, 4)
            row += [_num(p) for p in points] + [_num(sum(points)),
                                                "" if late_days is None else str(late_days),
                                                _num(kept)]
            total += sum(points)
            after += kept
            if rec["state"] in (ERROR, CRASHED):
                problems.append(f"{ex}: {rec['message']}")
        flags += similar.get(student, [])
        row[1:1] = [" ".join(sorted(commits))]
        row += [_num(total), _num(max_total), _num(round(after, 4)), "yes" if late else "no",
                "; ".join(flags), "; ".join(problems),
                "" if not sandboxed else ("yes" if all(sandboxed) else "unsandboxed")]
        rows.append([csv_cell(c) for c in row])
    return header, rows


def write_grades_csv(out: Path, students: list[str] | None = None,
                     exercises: list[str] | None = None) -> Path:
    """``out/grades.csv``: one row per student; a column per test cell (``<exercise>:<grade_id>``),
    per exercise its total, ``<exercise>_late_days`` (empty: no deadline known) and
    ``<exercise>_after_late`` (points after the late rule); overall ``total``, ``max_total``,
    ``total_after_late``, ``late`` (yes/no), ``flags`` (for a person to look at; they never
    change points) and ``problems`` (missing notebooks, grading errors). Cells of a missing
    notebook are empty; its total is 0. Text cells are made inert for spreadsheets. Written to
    a temporary file and renamed: a reader never sees half a file."""
    students = stored_students(out) if students is None else sorted(students)
    header, rows = grades_rows(out, students, exercises)
    path = out / GRADES_CSV
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


@dataclass
class Summary:
    students: int
    graded: list[str]
    failed: list[str]
    missing: list[str]
    median: float | None
    max_total: float
    unchanged: int = 0
    seconds: float = 0.0
    flagged: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    #: files refused at collection, over all students
    refused: int = 0

    def text(self) -> str:
        def names(xs: list[str]) -> str:
            shown = ", ".join(xs[:10]) + (f", … (+{len(xs) - 10})" if len(xs) > 10 else "")
            return f" ({shown})" if xs else ""

        median = "n/a" if self.median is None else f"{self.median:g}/{self.max_total:g}"
        parts = [f"batch: {self.students} students", f"{len(self.graded)} graded",
                 f"{len(self.failed)} failed{names(self.failed)}",
                 f"{len(self.missing)} missing{names(self.missing)}",
                 f"median score {median}"]
        if self.late:
            parts.append(f"{len(self.late)} late{names(self.late)}")
        if self.flagged:
            parts.append(f"{len(self.flagged)} flagged for a look{names(self.flagged)}")
        if self.refused:
            parts.append(f"{self.refused} file(s) refused at collection")
        line = ", ".join(parts)
        if self.unchanged:
            line += f"; {self.unchanged} submission(s) unchanged since the last run, not re-graded"
        if self.seconds:
            line += f"; {self.seconds:.1f} s"
        return line


def summarise(out: Path, students: list[str], exercises: list[str] | None = None) -> Summary:
    """Graded / failed (a notebook that could not be graded) / missing (nothing submitted)."""
    header, rows = grades_rows(out, students, exercises)
    cols = columns(out, students, exercises)
    graded, failed, missing, totals = [], [], [], []
    for student, row in zip(students, rows, strict=True):
        recs = {ex: r for ex, r in _records(out, student).items() if ex in cols}
        states = [recs[ex]["state"] if ex in recs else MISSING for ex in cols]
        if not states or all(s == MISSING for s in states):
            missing.append(student)
            continue
        totals.append(float(row[header.index("total")]))
        (failed if any(s in (ERROR, CRASHED) for s in states) else graded).append(student)
    max_total = sum(p for cells in cols.values() for _, p in cells)
    flagged = [row[0] for row in rows if row[header.index("flags")]]
    late = [row[0] for row in rows if row[header.index("late")] == "yes"]
    refused = sum(len((rec.get("collected") or {}).get("refused") or [])
                  for student in students for rec in _records(out, student).values())
    return Summary(len(students), graded, failed, missing,
                   statistics.median(totals) if totals else None, max_total,
                   flagged=flagged, late=late, refused=refused)


# --------------------------------------------------------------------------- merging shards


def merge(sources: list[Path], out: Path) -> list[str]:
    """Copy every student folder of the shard outputs ``sources`` into ``out`` and rewrite the
    CSV; a student found in several sources keeps the most recently graded records.
    Returns the students merged."""
    merged: set[str] = set()
    for src in sources:
        if not (src / STUDENTS).is_dir():
            raise BatchError(f"{src}: not a batch output folder (no {STUDENTS}/ inside)")
    for src in sources:
        if src.resolve() == out.resolve():
            merged.update(stored_students(out))
            continue
        for student in stored_students(src):
            for rec_path in sorted((src / STUDENTS / student).glob("*.json")):
                if rec_path.name == "results.json":
                    continue
                rec = load_record(rec_path)
                if rec is None:
                    continue
                ex, target = rec["exercise"], record_path(out, student, rec["exercise"])
                old = load_record(target)
                if old is not None and old.get("graded_at", "") > rec.get("graded_at", ""):
                    continue
                for sub, suffix in (("feedback", ".html"), ("graded", ".ipynb")):
                    s_file = src / STUDENTS / student / sub / f"{ex}{suffix}"
                    d_file = student_dir(out, student) / sub / f"{ex}{suffix}"
                    if s_file.is_file():
                        d_file.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(s_file, d_file)
                    elif d_file.exists():
                        d_file.unlink()
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(rec_path, target)
            write_student_results(out, student)
            merged.add(student)
    write_grades_csv(out)
    return sorted(merged)


# --------------------------------------------------------------------------- manifest

MANIFEST = "manifest.json"


def _records_digest(out: Path) -> dict[str, str]:
    """sha256 of every stored per-exercise record (student/exercise -> digest)."""
    found = {}
    for path in sorted((out / STUDENTS).glob("*/*.json")):
        if path.name != "results.json":
            found[f"{path.parent.name}/{path.stem}"] = sha256(path.read_bytes())
    return found


def write_manifest(out: Path, course: Path, trusted: str) -> Path:
    """``out/manifest.json``: what this output was graded with (the trusted inputs' digest, a
    fingerprint of the course secret, never the secret) and a digest of every record, so a
    merge can refuse mixed or altered parts."""
    from autograder.seeds import derive_seed, load_secret

    secret = load_secret(course)
    doc = {"trusted": trusted,
           "secret": "" if secret is None else str(derive_seed(secret, "manifest")),
           "records": _records_digest(out)}
    path = out / MANIFEST
    _write_text(path, json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return path


def check_manifests(sources: list[Path]) -> None:
    """BatchError unless every part has a manifest, all were graded with the same trusted
    inputs and secret, and no record changed after grading."""
    seen: dict[str, tuple[str, str]] = {}
    for src in sources:
        if not (src / STUDENTS).is_dir():
            raise BatchError(f"{src}: not a batch output folder (no {STUDENTS}/ inside)")
        try:
            doc = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise BatchError(f"{src}: no readable {MANIFEST} (not a finished batch output, or "
                             "altered): merge only what 'autograde batch' wrote") from None
        seen[str(src)] = (str(doc.get("trusted")), str(doc.get("secret")))
        recorded = doc.get("records") if isinstance(doc.get("records"), dict) else {}
        actual = _records_digest(src)
        changed = sorted(k for k in set(recorded) | set(actual)
                         if recorded.get(k) != actual.get(k))
        if changed:
            raise BatchError(f"{src}: the record {changed[0]} differs from what the batch "
                             "wrote (altered after grading); refusing to merge")
    if len(set(seen.values())) > 1:
        parts = ", ".join(seen)
        raise BatchError(f"the parts were graded with different checks, course notebooks or "
                         f"secrets ({parts}); grade them again with one version of the course")
