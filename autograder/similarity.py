"""Submissions whose answer cells look alike, or look like the reference library.

Token fingerprints (``copydetect``: the code is tokenised with Pygments, names and literals
normalised, so renaming variables does not hide a copy; k-grams are hashed and winnowed). For
each exercise, every student's changed answer cells form one document; the release
notebook's stubs are boilerplate (everyone starts from them). Every pair of students is
compared, and every student against each module of ``lstm_reference``.

A score is the share of a document's fingerprinted tokens found in the other one; a pair is
reported when either side's share reaches the threshold. Only pairs that share enough
fingerprints are compared in full (:func:`candidates`: an index instead of n²/2
comparisons); code that more than half of a class of 20 or more hands in counts as common
and is not reported as pairs (it is still compared with the reference). The scores ask a
person for a look: they never change points.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: k-gram length and winnowing window (characters of normalised code)
K = 20
WINDOW = 4
#: a pair is reported at this share of shared fingerprints (measured on tests/messy_class.py:
#: different honest implementations share at most about a third, near-copies all of it)
THRESHOLD = 0.6
#: documents shorter than this many normalised characters are not compared (too little code)
MIN_CHARS = 60
#: a pair is compared in full only if it shares at least this share of the threshold of one
#: side's fingerprints (not counting fingerprints found in more than COMMON of all documents)
PREFILTER = 0.5
COMMON = 0.5
#: below this many documents nothing counts as common
SMALL_CLASS = 20


@dataclass(frozen=True)
class Match:
    exercise: str
    a: str
    b: str
    score: float
    #: (start, end) character spans of shared code in a's and b's text
    spans_a: tuple[tuple[int, int], ...] = ()
    spans_b: tuple[tuple[int, int], ...] = ()
    #: for a match with the reference: the answer cell compared
    cell: str = ""


def _stable_kgrams(string: str, k: int) -> Any:
    """copydetect's k-gram hashes, with a hash that is the same in every process.

    copydetect uses Python's ``hash()``, which is salted per process (PYTHONHASHSEED): the
    winnowing then keeps different fingerprints on every run and the scores move by a few
    points. A regrade must give the same report, so the kit hashes with BLAKE2b."""
    import numpy as np

    return np.array([int.from_bytes(hashlib.blake2b(string[i:i + k].encode("utf-8",
                                                                           "surrogatepass"),
                                                    digest_size=8).digest(), "little",
                                    signed=True)
                     for i in range(len(string) - k + 1)], dtype=np.int64)


def _fingerprint(name: str, code: str, boilerplate: Any = None) -> Any:
    import copydetect.utils
    from copydetect import CodeFingerprint

    copydetect.utils.hashed_kgrams = _stable_kgrams

    return CodeFingerprint(f"{name}.py", K, WINDOW, boilerplate=boilerplate,
                           language="python", fp=io.StringIO(code))


def _spans(slices: Any) -> tuple[tuple[int, int], ...]:
    if len(slices) != 2 or len(slices[0]) == 0:
        return ()
    return tuple((int(a), int(b)) for a, b in zip(slices[0], slices[1], strict=True))


def _joined(cells: dict[str, str]) -> str:
    return "\n\n".join(cells[k] for k in sorted(cells))


def compare(exercise: str, docs: dict[str, dict[str, str]], boilerplate: str = "",
            reference: dict[str, str] | None = None, threshold: float = THRESHOLD,
            ) -> tuple[list[Match], list[Match]]:
    """(student pairs, student-reference matches) at or above ``threshold``, best first.

    ``docs``: student -> {answer cell: code}; pairs compare all of a student's answer cells
    at once, the reference is compared cell by cell (a copied function among honest ones is
    still found). ``reference``: file name -> code."""
    import numpy as np
    from copydetect import compare_files

    base = (np.array(sorted(_fingerprint("boilerplate", boilerplate).hashes), dtype=np.int64)
            if boilerplate.strip() else None)

    def usable(name: str, code: str) -> Any:
        fp = _fingerprint(name, code, base)
        return fp if len(fp.filtered_code) >= MIN_CHARS and fp.token_coverage > 0 else None

    prints = {s: fp for s in sorted(docs) if (fp := usable(s, _joined(docs[s]))) is not None}
    pairs: list[Match] = []
    for a, b in candidates({s: set(map(int, fp.hashes)) for s, fp in prints.items()},
                           threshold):
        _, (sa, sb), (sl_a, sl_b) = compare_files(prints[a], prints[b])
        score = float(max(sa, sb))
        if score >= threshold:
            pairs.append(Match(exercise, a, b, round(score, 3), _spans(sl_a), _spans(sl_b)))
    refs: list[Match] = []
    ref_prints = {f: _fingerprint(f, code, base) for f, code in sorted((reference or {}).items())}
    for student in sorted(docs):
        best: Match | None = None
        for gid in sorted(docs[student]):
            fp = usable(f"{student}-{gid}", docs[student][gid])
            if fp is None:
                continue
            for fname, rfp in ref_prints.items():
                if rfp.token_coverage == 0:
                    continue
                _, (ss, _), (sl_s, sl_r) = compare_files(fp, rfp)
                score = round(float(ss), 3)
                if score >= threshold and (best is None or score > best.score):
                    best = Match(exercise, student, fname, score, _spans(sl_s), _spans(sl_r),
                                 gid)
        if best is not None:
            refs.append(best)
    key = lambda m: (-m.score, m.a, m.b)  # noqa: E731
    return sorted(pairs, key=key), sorted(refs, key=key)


def candidates(hashes: dict[str, set[int]], threshold: float = THRESHOLD,
               ) -> list[tuple[str, str]]:
    """Pairs worth a full comparison, found through an index of fingerprints instead of
    comparing every pair (a class of n students has n²/2 pairs).

    A pair qualifies when the fingerprints it shares are at least ``PREFILTER * threshold`` of
    either side's; fingerprints found in more than ``COMMON`` of the documents (idioms
    everyone writes) are left out of the count, and out of the index."""
    index: dict[int, list[str]] = {}
    for student in sorted(hashes):
        for h in hashes[student]:
            index.setdefault(h, []).append(student)
    n = len(hashes)
    limit = n if n < SMALL_CLASS else max(2, int(COMMON * n))
    shared: dict[tuple[str, str], int] = {}
    for owners in index.values():
        if len(owners) > limit:
            continue
        for i, a in enumerate(owners):
            for b in owners[i + 1:]:
                shared[(a, b)] = shared.get((a, b), 0) + 1
    need = PREFILTER * threshold
    return sorted(pair for pair, n in shared.items()
                  if n >= need * min(len(hashes[pair[0]]), len(hashes[pair[1]])))


def reference_sources(package_dir: Path) -> dict[str, str]:
    """file name (``lstm_reference/x.py``) -> code of every module of the reference."""
    return {f"{package_dir.name}/{p.name}": p.read_text(encoding="utf-8")
            for p in sorted(package_dir.glob("*.py"))}


def release_boilerplate(release_nb: Path | None) -> str:
    """The code every student starts from: the release notebook's code cells."""
    if release_nb is None or not release_nb.is_file():
        return ""
    nb = json.loads(release_nb.read_text(encoding="utf-8"))
    parts = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            parts.append("".join(src) if isinstance(src, list) else str(src))
    return "\n\n".join(parts)


def documents(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, dict[str, str]]]:
    """exercise -> student -> {answer cell: code} of the cells the student changed."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for rec in records:
        answers = rec.get("answers") or {}
        if answers:
            out.setdefault(rec["exercise"], {})[rec["student"]] = dict(answers)
    return out


# --------------------------------------------------------------------------- report


def _marked(code: str, spans: tuple[tuple[int, int], ...]) -> str:
    """``code`` escaped for HTML, shared spans in ``<mark>``."""
    out, pos = [], 0
    for start, end in sorted(spans):
        start = max(start, pos)
        if start >= end:
            continue
        out.append(html.escape(code[pos:start]))
        out.append("<mark>" + html.escape(code[start:end]) + "</mark>")
        pos = end
    out.append(html.escape(code[pos:]))
    return "".join(out)


_CSS = """body{font-family:system-ui,sans-serif;max-width:80rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
.pair{display:flex;gap:1rem}.pair pre{flex:1;background:#f6f8fa;padding:.5rem;overflow-x:auto;
white-space:pre-wrap}mark{background:#ffd76e}"""


def report_html(pairs: list[Match], refs: list[Match],
                docs: dict[str, dict[str, dict[str, str]]], reference: dict[str, str]) -> str:
    """One self-contained page: a table of the matches, then each with the shared code
    marked. Every piece of student text is escaped (no script, no markup survives)."""
    e = html.escape
    body = ["<h1>Similar submissions</h1>",
            "<p>Token fingerprints of the answer cells (copydetect); a score is the share of "
            "one side's code found in the other. Flags ask for a look; they never change "
            "points.</p>"]
    if not pairs and not refs:
        body.append("<p>No pair reached the threshold.</p>")
    rows = [("between students", m, _joined(docs[m.exercise][m.a]),
             _joined(docs[m.exercise][m.b])) for m in pairs]
    rows += [(f"answer cell {m.cell} and the reference", m, docs[m.exercise][m.a][m.cell],
              reference.get(m.b, "")) for m in refs]
    if rows:
        body.append("<table><tr><th>exercise</th><th>kind</th><th>submission</th>"
                    "<th>similar to</th><th>score</th></tr>")
        for n, (kind, m, _, _) in enumerate(rows):
            body.append(f"<tr><td>{e(m.exercise)}</td><td>{e(kind)}</td><td>{e(m.a)}</td>"
                        f"<td><a href='#m{n}'>{e(m.b)}</a></td><td>{m.score:.0%}</td></tr>")
        body.append("</table>")
    for n, (kind, m, mine, other) in enumerate(rows):
        body.append(f"<h2 id='m{n}'>{e(m.exercise)}: {e(m.a)} and {e(m.b)} "
                    f"({m.score:.0%}, {e(kind)})</h2><div class='pair'>"
                    f"<pre>{_marked(mine, m.spans_a)}</pre>"
                    f"<pre>{_marked(other, m.spans_b)}</pre></div>")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
            "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\">"
            f"<title>Similar submissions</title><style>{_CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def write_report(out: Path, records: list[dict[str, Any]], boilerplate: dict[str, str],
                 reference: dict[str, str], threshold: float = THRESHOLD) -> dict[str, Any]:
    """Compare every exercise's documents; write ``out/similarity.json`` and
    ``out/similarity.html``; return the JSON document."""
    docs = documents(records)
    all_pairs: list[Match] = []
    all_refs: list[Match] = []
    for ex in sorted(docs):
        pairs, refs = compare(ex, docs[ex], boilerplate.get(ex, ""), reference, threshold)
        all_pairs += pairs
        all_refs += refs
    doc = {"threshold": threshold,
           "pairs": [{"exercise": m.exercise, "a": m.a, "b": m.b, "score": m.score}
                     for m in all_pairs],
           "reference": [{"exercise": m.exercise, "student": m.a, "file": m.b,
                          "cell": m.cell, "score": m.score} for m in all_refs]}
    out.mkdir(parents=True, exist_ok=True)
    for name, text in (("similarity.json", json.dumps(doc, indent=1) + "\n"),
                       ("similarity.html", report_html(all_pairs, all_refs, docs, reference))):
        tmp = out / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out / name)
    return doc
