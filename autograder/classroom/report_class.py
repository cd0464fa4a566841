"""``autograde report``: one self-contained HTML page on how the class did.

The page (no server, no network: figures are PNGs embedded as ``data:`` URLs, the style is
inline, a Content-Security-Policy forbids scripts and remote loads) shows

- the distribution of points per exercise and of the total (after the late rule, if any);
- per check (autograded test cell): how many of the submitted notebooks passed it, the most
  common named bug (``likely bug: …`` from the grader's diagnosis) and the most common message;
- late and flagged submissions (from grades.csv's ``late`` and ``flags`` columns);
- who has not submitted: roster students with no notebook at all, and per exercise;
- notebooks that could not be graded.

Every text that comes from a student (ids, messages that quote their output, flags) is
HTML-escaped; the figures carry course names only (exercises, checks, points).
"""

from __future__ import annotations

import base64
import html
import io
import re
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder import batch
from autograder.classroom.gradesheet import ClassGrades

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_BUG = re.compile(r"(\()?likely bug:\s*([^\n]+)")

_CSS = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;height:auto;display:block;margin:.5rem 0}
.muted{color:#666}.summary td{border:none;padding:.1rem .8rem .1rem 0}
"""


# --------------------------------------------------------------------------- data


def named_bug(text: str) -> str:
    """The bug named in a hint or message (``likely bug: X`` or ``(likely bug: X)``), or ''."""
    m = _BUG.search(text or "")
    if m is None:
        return ""
    bug = m.group(2).strip()
    if m.group(1) and bug.endswith(")"):
        bug = bug[:-1].rstrip()
    return bug


@dataclass
class CheckStats:
    """One test cell over the class (``attempted``: students who submitted the notebook)."""

    exercise: str
    grade_id: str
    max_points: float
    attempted: int = 0
    passed: int = 0
    bugs: Counter[str] = field(default_factory=Counter)
    messages: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float | None:
        return self.passed / self.attempted if self.attempted else None


@dataclass
class ClassResults:
    """What the page needs beyond grades.csv: per check, per submission state."""

    checks: list[CheckStats]
    #: {student: {exercise: state}}; absent exercise = nothing stored (not submitted)
    states: dict[str, dict[str, str]]
    #: {(student, exercise): message} of notebooks that could not be graded
    failures: dict[tuple[str, str], str]


def _records(out: Path, student: str) -> Iterable[dict[str, Any]]:
    folder = batch.student_dir(out, student)
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if path.name != "results.json" and (rec := batch.load_record(path)) is not None:
            yield rec


def class_results(out: Path, grades: ClassGrades, progress: bool = False) -> ClassResults:
    """Per-check statistics and per-submission states from the students' stored records
    (``progress``: a progress bar on stderr for a large class)."""
    from tqdm import tqdm

    stats: dict[tuple[str, str], CheckStats] = {}
    for ex, cells in batch.columns(out, [s.student for s in grades.students],
                                   grades.exercises or None).items():
        for gid, points in cells:
            stats[(ex, gid)] = CheckStats(ex, gid, points)
    states: dict[str, dict[str, str]] = {}
    failures: dict[tuple[str, str], str] = {}
    for s in tqdm(grades.students, desc="reading results", unit="student", dynamic_ncols=True,
                  disable=not progress or len(grades.students) < 500, mininterval=0.5):
        mine = states.setdefault(s.student, {})
        for rec in _records(out, s.student):
            ex, state = rec["exercise"], rec["state"]
            if grades.exercises and ex not in grades.exercises:
                continue
            mine[ex] = state
            if state == batch.MISSING:
                continue
            if state in (batch.ERROR, batch.CRASHED):
                failures[(s.student, ex)] = rec.get("message") or state
            for doc in rec["results"]["extra_data"]["exercises"]:
                for t in doc["tests"]:
                    st = stats.setdefault((ex, t["grade_id"]),
                                          CheckStats(ex, t["grade_id"], t["max_points"]))
                    st.attempted += 1
                    if t["passed"]:
                        st.passed += 1
                        continue
                    bug = named_bug(t.get("hint", "")) or named_bug(t.get("message", ""))
                    if bug:
                        st.bugs[bug] += 1
                    if t.get("message"):
                        st.messages[" ".join(t["message"].split())] += 1
    return ClassResults(list(stats.values()), states, failures)


def submitted(results: ClassResults, student: str, exercise: str | None = None) -> bool:
    """Whether ``student`` handed in a notebook (for ``exercise``, or for any)."""
    mine = results.states.get(student, {})
    if exercise is not None:
        return mine.get(exercise, batch.MISSING) != batch.MISSING
    return any(state != batch.MISSING for state in mine.values())


# --------------------------------------------------------------------------- figures


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _bins(maximum: float) -> Any:
    import numpy as np

    if 0 < maximum <= 40 and float(maximum).is_integer():
        return np.arange(-0.5, maximum + 1.0, 1.0)
    return np.linspace(0.0, max(maximum, 1.0), 21)


def points_figure(values: dict[str, list[float]], maxima: dict[str, float]) -> Any:
    """Histograms of the points of each exercise (one panel each), students on the y axis."""
    from matplotlib.figure import Figure

    names = list(values)
    cols = min(3, max(1, len(names)))
    rows = max(1, -(-len(names) // cols))
    fig = Figure(figsize=(4.2 * cols, 2.8 * rows))
    for k, name in enumerate(names):
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.hist(values[name], bins=_bins(maxima[name]), color="#4878a8", edgecolor="white")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(f"points (max {maxima[name]:g})", fontsize=9)
        ax.set_ylabel("students", fontsize=9)
        ax.set_xlim(-0.5, max(maxima[name], 1.0) + 0.5)
        ax.yaxis.get_major_locator().set_params(integer=True)
        if float(maxima[name]).is_integer():
            ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    return fig


def pass_rate_figure(checks: list[CheckStats]) -> Any:
    """One horizontal bar per check: the share of submitted notebooks that passed it."""
    from matplotlib.figure import Figure

    shown = [c for c in checks if c.attempted]
    fig = Figure(figsize=(8.5, 0.9 + 0.28 * max(1, len(shown))))
    ax = fig.add_subplot(1, 1, 1)
    labels = [f"{c.exercise}: {c.grade_id}" for c in shown]
    rates = [100.0 * (c.rate or 0.0) for c in shown]
    y = list(range(len(shown)))[::-1]
    ax.barh(y, rates, color=["#3a923a" if r >= 50 else "#c0504d" for r in rates])
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("passed (% of submitted notebooks)")
    for yy, r in zip(y, rates, strict=True):
        ax.text(min(r + 1, 92), yy, f"{r:.0f}%", va="center", fontsize=7)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- page


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _img(fig: Any, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{_png(fig)}">'


def _table(header: list[str], rows: list[list[str]], numeric: Iterable[int] = ()) -> str:
    """A table; cells are already-escaped HTML."""
    nums = set(numeric)
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td class='n'>{c}</td>" if i in nums else f"<td>{c}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _top(counter: Counter[str]) -> str:
    if not counter:
        return "<span class='muted'>—</span>"
    text, n = counter.most_common(1)[0]
    return f"{_e(text)} <span class='muted'>({n}×)</span>"


def _who(grades: ClassGrades, student: str) -> str:
    name = grades.person(student).name
    return _e(student) + (f" <span class='muted'>({_e(name)})</span>" if name else "")


def class_report_html(out: Path, grades: ClassGrades, title: str = "Class report",
                      progress: bool = False) -> str:
    """The whole page for the batch output ``out`` (read into ``grades``)."""
    results = class_results(out, grades, progress)
    everyone = [s.student for s in grades.students]
    handed_in = [s for s in grades.students if submitted(results, s.student)]
    totals = [s.total for s in handed_in]
    after = " after the late rule" if grades.late_rule else ""
    late = [s for s in grades.students if s.late or any(d > 0 for d in s.late_days.values())]
    flagged = [s for s in grades.students if s.flags]
    absent = [s for s in everyone if not submitted(results, s)]
    body = [f"<h1>{_e(title)}</h1>"]
    median = f"{statistics.median(totals):g}/{grades.max_total:g}" if totals else "n/a"
    summary = [("students", len(everyone)), ("submitted", len(handed_in)),
               ("not submitted", len(absent)), (f"median total{after}", median),
               ("late", len(late)), ("flagged", len(flagged)),
               ("notebooks that could not be graded", len(results.failures))]
    body.append("<table class='summary'>" + "".join(
        f"<tr><td>{_e(k)}</td><td><b>{_e(v)}</b></td></tr>" for k, v in summary) + "</table>")

    # points per exercise
    body.append(f"<h2>Points per exercise{_e(after)}</h2>")
    if grades.exercises and handed_in:
        values = {ex: [s.points[ex] for s in grades.students if submitted(results, s.student, ex)]
                  for ex in grades.exercises}
        values["total"] = totals
        maxima = {**grades.max_points, "total": grades.max_total}
        body.append(_img(points_figure(values, maxima),
                         "histograms of the points of each exercise and of the total"))
        rows = []
        for ex in grades.exercises:
            got = values[ex]
            rows.append([_e(ex), _e(f"{grades.max_points[ex]:g}"), str(len(got)),
                         f"{statistics.median(got):g}" if got else "—",
                         f"{statistics.fmean(got):.1f}" if got else "—",
                         str(sum(p >= grades.max_points[ex] > 0 for p in got)),
                         str(sum(p == 0 for p in got))])
        body.append(_table(["exercise", "max", "submitted", "median", "mean", "full marks",
                            "zero"], rows, numeric=range(1, 7)))
    else:
        body.append("<p class='muted'>No graded submissions yet.</p>")

    # checks
    body.append("<h2>Checks: pass rate and the most common bug</h2>")
    checks = [c for c in results.checks if c.attempted]
    if checks:
        body.append(_img(pass_rate_figure(checks), "pass rate of each check"))
        rows = [[_e(c.exercise), _e(c.grade_id), _e(f"{c.max_points:g}"),
                 f"{c.passed}/{c.attempted}", f"{100.0 * (c.rate or 0.0):.0f}%",
                 _top(c.bugs), _top(c.messages)] for c in checks]
        body.append(_table(["exercise", "check", "points", "passed", "rate",
                            "most common named bug", "most common failure message"], rows,
                           numeric=(2, 3, 4)))
    else:
        body.append("<p class='muted'>No check has been run on a submitted notebook.</p>")

    # late and flagged
    body.append("<h2>Late and flagged submissions</h2>")
    if late or flagged:
        rows = []
        late_ids = {s.student for s in late}
        for s in sorted({s.student: s for s in late + flagged}.values(),
                        key=lambda s: s.student):
            days = ", ".join(f"{ex}: {d:g} d" for ex, d in s.late_days.items() if d > 0)
            rows.append([_who(grades, s.student), "yes" if s.student in late_ids else "no",
                         _e(days),
                         _e(f"{s.raw_total:g}"), _e(f"{s.total:g}"),
                         "<br>".join(_e(f) for f in s.flags)])
        body.append(_table(["student", "late", "late days", "points", "points after the rule",
                            "flags"], rows, numeric=(3, 4)))
    else:
        body.append("<p class='muted'>None.</p>")

    # not submitted
    body.append("<h2>Not submitted</h2>")
    if absent:
        body.append(f"<p>{len(absent)} student(s) handed in no notebook at all:</p><ul>"
                    + "".join(f"<li>{_who(grades, s)}</li>" for s in absent) + "</ul>")
    else:
        body.append("<p class='muted'>Every student handed in at least one notebook.</p>")
    partial = [[_e(ex), ", ".join(_e(s.student) for s in handed_in
                                  if not submitted(results, s.student, ex))]
               for ex in grades.exercises]
    partial = [row for row in partial if row[1]]
    if partial:
        body.append("<p>Students who handed in other exercises but not these:</p>"
                    + _table(["exercise", "students"], partial))
    if not grades.roster:
        body.append("<p class='muted'>No roster was given: students who never appeared in the "
                    "batch cannot be listed (pass --roster).</p>")

    # grading failures
    body.append("<h2>Notebooks that could not be graded</h2>")
    if results.failures:
        rows = [[_who(grades, st), _e(ex), _e(msg)]
                for (st, ex), msg in sorted(results.failures.items())]
        body.append(_table(["student", "exercise", "why"], rows))
    else:
        body.append("<p class='muted'>None.</p>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def write_report(out: Path, grades: ClassGrades, path: Path, title: str = "Class report",
                 progress: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(class_report_html(out, grades, title, progress), encoding="utf-8")
    tmp.replace(path)
    return path
