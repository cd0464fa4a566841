"""Reports: the terminal table, the results JSON, feedback HTML, and GitHub's summary and
annotations.

Everything except the feedback works on the results JSON (:func:`results_json`), so the summary
job of a workflow can merge the per-exercise files (:func:`merge`) and print the same table.
The JSON is a valid Gradescope ``results.json`` (``score``, ``execution_time``, ``output``,
``tests``); the per-exercise detail lives under ``extra_data``.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable
from typing import Any

from autograder.assemble import strip_hidden
from autograder.judge import ExerciseResult
from autograder.probe import PROBE_MIME

STATUS_WORD = {"passed": "pass", "failed": "FAIL", "not attempted": "FAIL", "error": "FAIL"}


# --------------------------------------------------------------------------- JSON


def exercise_json(result: ExerciseResult) -> dict[str, Any]:
    return {
        "exercise": result.exercise,
        "notebook": result.notebook,
        "status": result.status,
        "passed": result.passed,
        "points": result.points,
        "max_points": result.max_points,
        "seconds": round(result.seconds, 3),
        "kernel_seconds": round(result.kernel_seconds, 3),
        "judge_seconds": round(result.judge_seconds, 3),
        "message": result.message,
        "repairs": list(result.repairs),
        "notes": list(result.notes),
        "sandboxed": result.sandboxed,
        "limit_hit": result.limit_hit,
        "tests": [
            {"grade_id": t.grade_id, "passed": t.passed, "points": t.points,
             "max_points": t.max_points, "message": t.message, "hint": t.hint,
             "seeds": result.seeds.get(t.grade_id, []), "where": t.where}
            for t in result.tests
        ],
    }


def results_json(results: Iterable[ExerciseResult]) -> dict[str, Any]:
    """Gradescope-compatible results for these exercises."""
    return _assemble_json([exercise_json(r) for r in results])


def _assemble_json(exercises: list[dict[str, Any]]) -> dict[str, Any]:
    tests = []
    for ex in exercises:
        for t in ex["tests"]:
            text = t["message"] + (f"\n{t['hint']}" if t.get("hint") else "")
            tests.append({
                "name": f"{ex['exercise']}: {t['grade_id']}",
                "score": t["points"],
                "max_score": t["max_points"],
                "status": "passed" if t["passed"] else "failed",
                "output": text,
                "extra_data": {"exercise": ex["exercise"], "grade_id": t["grade_id"]},
            })
        if not ex["tests"]:
            tests.append({"name": f"{ex['exercise']}: notebook", "score": 0.0,
                          "max_score": ex.get("max_points", 0.0), "status": "failed",
                          "output": ex["message"], "extra_data": {"exercise": ex["exercise"]}})
    passed = sum(ex["passed"] for ex in exercises)
    return {
        "score": sum(ex["points"] for ex in exercises),
        "execution_time": round(sum(ex["seconds"] for ex in exercises)),
        "output": f"{passed} of {len(exercises)} exercises passed",
        "tests": tests,
        "extra_data": {
            "max_score": sum(ex["max_points"] for ex in exercises),
            "all_passed": passed == len(exercises),
            "exercises": exercises,
        },
    }


def merge(documents: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """One results document from several (e.g. one per workflow job), sorted by exercise."""
    exercises: dict[str, dict[str, Any]] = {}
    for doc in documents:
        for ex in doc.get("extra_data", {}).get("exercises", []):
            exercises[ex["exercise"]] = ex
    return _assemble_json([exercises[k] for k in sorted(exercises)])


def all_passed(doc: dict[str, Any]) -> bool:
    exercises = doc["extra_data"]["exercises"]
    return bool(exercises) and all(ex["passed"] for ex in exercises)


# --------------------------------------------------------------------------- text


def _first_problem(ex: dict[str, Any]) -> str:
    if ex["passed"]:
        return ""
    return ex["message"] or "failed"


def _points(ex: dict[str, Any]) -> str:
    return f"{ex['points']:g}/{ex['max_points']:g}"


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def table(doc: dict[str, Any], width: int = 72) -> str:
    """The terminal table: exercise, points, result, time, first failing check."""
    rows = [("exercise", "points", "result", "time", "first failing check")]
    for ex in doc["extra_data"]["exercises"]:
        rows.append((ex["exercise"], _points(ex), STATUS_WORD.get(ex["status"], "FAIL"),
                     f"{ex['seconds']:.1f}s", _short(_first_problem(ex), width)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for k, row in enumerate(rows):
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        lines.append("  ".join([*cells, row[4]]).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 19)
    extra = doc["extra_data"]
    lines.append(f"total {doc['score']:g}/{extra['max_score']:g}: {doc['output']}")
    lines.extend(f"  {line}" for line in notes(doc))
    return "\n".join(lines)


def notes(doc: dict[str, Any]) -> list[str]:
    """Each exercise's repairs and notes; a note that every exercise has is said once."""
    exercises = doc["extra_data"]["exercises"]
    shared = [n for n in exercises[0]["notes"] if all(n in ex["notes"] for ex in exercises)
              ] if len(exercises) > 1 else []
    lines = [f"{ex['exercise']}: {line}" for ex in exercises
             for line in ex["repairs"] + [n for n in ex["notes"] if n not in shared]]
    return lines + [f"every exercise: {n}" for n in shared]


def markdown(doc: dict[str, Any]) -> str:
    """The GitHub step-summary table."""
    out = ["### LSTM Lab autograder", "",
           "| Exercise | Points | Result | Time | First failing check |",
           "|---|---|---|---|---|"]
    for ex in doc["extra_data"]["exercises"]:
        result = "✅ pass" if ex["passed"] else (
            "⬜ not attempted" if ex["status"] == "not attempted" else "❌ fail")
        message = _short(_first_problem(ex), 160).replace("|", "\\|")
        out.append(f"| `{ex['exercise']}` | {_points(ex)} | {result} | {ex['seconds']:.1f} s "
                   f"| {message} |")
    out += ["", f"**Total {doc['score']:g}/{doc['extra_data']['max_score']:g}** — "
                f"{doc['output']}", ""]
    out += [f"- {line}" for line in notes(doc)] + ([""] if notes(doc) else [])
    return "\n".join(out)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotations(doc: dict[str, Any]) -> list[str]:
    """``::error`` workflow commands, one per failed exercise, pointing at its notebook."""
    lines = []
    for ex in doc["extra_data"]["exercises"]:
        if ex["passed"]:
            continue
        title = f"{ex['exercise']} {_points(ex)}"
        body = ex["message"] or "failed"
        failing = [t for t in ex["tests"] if not t["passed"]]
        if len(failing) > 1:
            body += f" (and {len(failing) - 1} more failing test cell(s))"
        lines.append(f"::error file={_escape_property(ex['notebook'])},"
                     f"title={_escape_property(title)}::{_escape_data(body)}")
    return lines


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(float(x), 2)


def classroom_annotations(doc: dict[str, Any]) -> list[str]:
    """The two notices GitHub Classroom reads from a workflow run (what its autograding
    reporter emits): ``Autograding complete`` with ``Points X/Y`` and ``Autograding report``
    with ``{"totalPoints": X, "maxPoints": Y}``, summed over the exercises of ``doc``."""
    total, most = _number(doc["score"]), _number(doc["extra_data"]["max_score"])
    report = json.dumps({"totalPoints": total, "maxPoints": most})
    return [f"::notice title=Autograding complete::Points {total}/{most}",
            f"::notice title=Autograding report::{_escape_data(report)}"]


def classroom_runner(ex: dict[str, Any]) -> dict[str, Any]:
    """One exercise as a runner result of GitHub Classroom's autograding reporter: its points
    out of the exercise's maximum, one test per test cell (or one for a notebook that could
    not be graded)."""
    tests = [{"name": t["grade_id"], "status": "pass" if t["passed"] else "fail",
              "score": _number(t["points"]), "message": t["message"]} for t in ex["tests"]]
    if not tests:
        tests = [{"name": "notebook", "status": "error", "score": 0, "message": ex["message"]}]
    status = "pass" if ex["passed"] else "error" if ex["status"] == "error" else "fail"
    return {"version": 1, "status": status, "max_score": _number(ex["max_points"]),
            "tests": tests}


def classroom_outputs(doc: dict[str, Any]) -> list[str]:
    """``<exercise>=<base64 JSON>`` lines for ``$GITHUB_OUTPUT``: each exercise's runner result
    in the form the reporter reads from ``<RUNNER ID>_RESULTS``."""
    return [f"{ex['exercise']}="
            + base64.b64encode(json.dumps(classroom_runner(ex)).encode()).decode()
            for ex in doc["extra_data"]["exercises"]]


# --------------------------------------------------------------------------- feedback HTML

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

_CSS = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap}
.out{background:#fff;border-left:3px solid #ccc}
.err{background:#fff0f0;border-left:3px solid #c00}
.verdict{padding:.5rem;margin:.3rem 0 1.2rem}.pass{background:#e6ffec}.fail{background:#ffebe9}
.cell{margin:.8rem 0}.tag{font-size:.8rem;color:#555}
"""


def _pre(text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<pre{attr}>{html.escape(text)}</pre>"


def _outputs_html(outputs: list[dict[str, Any]]) -> str:
    parts = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(_pre(str(out.get("text", "")), "out"))
        elif kind == "error":
            trace = "\n".join(_ANSI.sub("", line) for line in out.get("traceback", []))
            parts.append(_pre(trace or f"{out.get('ename')}: {out.get('evalue')}", "err"))
        elif kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            if PROBE_MIME in data:
                continue
            png = data.get("image/png")
            if isinstance(png, str):
                try:
                    base64.b64decode(png, validate=True)
                    parts.append(f'<img alt="plot" src="data:image/png;base64,{png}">')
                    continue
                except ValueError:
                    pass
            text = data.get("text/plain")
            if text:
                parts.append(_pre(text if isinstance(text, str) else "".join(text), "out"))
    return "".join(parts)


def feedback_html(result: ExerciseResult) -> str:
    """Feedback for one exercise: the student's cells, visible tests, verdicts; no hidden
    tests (test cells show their visible part and the check's message, never a traceback)."""
    title = f"{result.exercise}: {result.points:g}/{result.max_points:g}"
    body = [f"<h1>{html.escape(title)}</h1>",
            f"<p><b>{html.escape(result.status)}</b>"
            f"{(' — ' + html.escape(result.message)) if result.message else ''}</p>"]
    for line in result.repairs + result.notes:
        body.append(f"<p class='tag'>{html.escape(line)}</p>")
    verdicts = {t.grade_id: t for t in result.tests}
    nb, assembled = result.executed, result.assembled
    if nb is not None and assembled is not None:
        for cell, role in zip(nb.cells, assembled.roles, strict=True):
            body.append("<div class='cell'>")
            if role.kind == "test":
                t = verdicts.get(role.grade_id or "")
                body.append(f"<div class='tag'>test cell {html.escape(role.grade_id or '')}"
                            "</div>")
                body.append(_pre(strip_hidden(role.trusted_source)))
                if t is not None:
                    cls = "pass" if t.passed else "fail"
                    text = (f"{'passed' if t.passed else 'failed'} "
                            f"({t.points:g}/{t.max_points:g})")
                    if t.message:
                        text += f": {t.message}"
                    if t.where:
                        text += f"\nat {t.where}"
                    if t.hint:
                        text += f"\n{t.hint}"
                    body.append(f"<div class='verdict {cls}'>{html.escape(text)}</div>")
            elif cell.cell_type == "code":
                label = f"answer cell {role.grade_id}" if role.kind == "answer" else ""
                if label:
                    body.append(f"<div class='tag'>{html.escape(label)}</div>")
                body.append(_pre(cell.source))
                body.append(_outputs_html(cell.get("outputs", [])))
            else:
                body.append(_pre(cell.source, "out"))
            body.append("</div>")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")
