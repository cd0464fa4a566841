"""The grader's plan for one notebook: which check each test cell calls, with which inputs.

Before the kernel starts, the grader reads every test cell's trusted source, finds its
``check_*`` calls and gives each one a seed (:mod:`autograder.seeds`) and a call id. The
kernel receives the inputs drawn from those seeds (a read-only JSON file); a probe record only
counts for the call it names, in the cell it belongs to, with the seed the grader chose.
"""

from __future__ import annotations

import ast
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.seeds import derive_seed


@dataclass(frozen=True)
class PlannedCall:
    """One ``check_*`` call of one test cell."""

    cell: str  # grade_id of the test cell
    index: int  # position among the cell's check calls
    check: str  # registry name, e.g. "ex1.sigmoid"
    seed: int
    call: str  # the id a record must carry


def call_sites(source: str) -> list[tuple[str, int | None]]:
    """``check_*`` calls of a trusted cell in source order, with a literal ``seed=N`` if any."""
    from autograder.judge import _strip_magics, check_calls

    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError:
        return [(name, None) for name in check_calls(source)]
    found: list[tuple[int, int, str, int | None]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else "")
        if not name.startswith("check_"):
            continue
        seed = None
        for kw in node.keywords:
            if kw.arg == "seed" and isinstance(kw.value, ast.Constant) and isinstance(
                    kw.value.value, int) and not isinstance(kw.value.value, bool):
                seed = int(kw.value.value)
        found.append((node.lineno, node.col_offset, name, seed))
    return [(name, seed) for _, _, name, seed in sorted(found)]


def registry_name(call: str, modules: list[str]) -> str:
    """The registered check a ``check_<name>`` call of a notebook importing ``modules`` runs
    (the one whose functions live in those modules, when several have that name)."""
    from autograder.checks.base import REGISTRY
    from autograder.judge import check_names

    names = sorted(check_names(call))
    own = [n for n in names if n in REGISTRY and getattr(
        REGISTRY[n].run_student, "__module__", "") in modules]
    return (own or names)[0]


def make_plan(test_cells: list[tuple[str, str]], modules: list[str], secret: bytes | None,
              *ident: object) -> list[PlannedCall]:
    """Plan every call of ``test_cells`` (``(grade_id, trusted source)``).

    ``ident`` (student, exercise, submission) enters every seed with the cell, the position
    and the check's name.
    """
    plan = []
    for grade_id, source in test_cells:
        for index, (fn, literal) in enumerate(call_sites(source)):
            check = registry_name(fn, modules)
            seed = literal if literal is not None else derive_seed(
                secret, *ident, grade_id, index, check)
            plan.append(PlannedCall(grade_id, index, check, seed,
                                    f"{grade_id}/{index}/{secrets.token_hex(4)}"))
    return plan


def kernel_inputs(plan: list[PlannedCall]) -> dict[str, list[dict[str, Any]]]:
    """What the kernel receives: per test cell, each call's check, seed, id and inputs."""
    from autograder.checks.base import REGISTRY
    from autograder.probe import encode_value

    out: dict[str, list[dict[str, Any]]] = {}
    for call in plan:
        check = REGISTRY.get(call.check)
        inputs = check.make_inputs(call.seed) if check is not None else {}
        out.setdefault(call.cell, []).append({
            "check": call.check, "seed": call.seed, "call": call.call,
            "inputs": encode_value(inputs)})
    return out


def write_kernel_inputs(plan: list[PlannedCall], path: Path) -> None:
    path.write_text(json.dumps(kernel_inputs(plan)), encoding="utf-8")
    path.chmod(0o444)


def seeds_by_cell(plan: list[PlannedCall]) -> dict[str, list[int]]:
    """grade_id -> the seeds of its calls (for the results)."""
    out: dict[str, list[int]] = {}
    for call in plan:
        out.setdefault(call.cell, []).append(call.seed)
    return out
