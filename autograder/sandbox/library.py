"""The kit code a sandboxed kernel may import: a staged, read-only copy per exercise.

A kernel needs the checks (to call the student's functions and send their outputs out) and,
for exercises 2–5, the parts of :mod:`lstm_reference` the notebook legitimately uses. It must
not get the answers. So the staged copy is made from the installed sources with function
bodies replaced by ``raise ReferenceHidden(...)``:

* in the check modules, everything that only the grader runs (input drawing, judging, the
  known-bug variants): a function is kept when a ``check_*`` wrapper, a registered check's
  ``run_student``, the module's own import-time code or a public helper the notebook calls can
  reach it;
* in :mod:`lstm_reference`, what the exercise asks the student to write (:data:`HIDDEN`): for
  ex1 every function except those the package needs while it is imported, for ex5 the GRU,
  for ex2–ex4 the analysis, ablation and task functions the student re-implements.

Nothing else of the kit (the grader, the course, the solutions) is staged.
"""

from __future__ import annotations

import ast
import hashlib
import os
import py_compile
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import autograder
import lstm_reference

ALL = "*"
#: exercise -> {module of lstm_reference (dotted, relative) -> names hidden, or ALL}
HIDDEN: dict[str, dict[str, frozenset[str] | str]] = {
    "ex1": {"*": ALL},
    "ex2": {"analysis": ALL, "bugs": ALL},
    "ex3": {"ablation_study": frozenset({"train_on_stream", "column_losses", "stream_loss",
                                         "results_table", "table_with_noise"}),
            "lstm_family": frozenset({"variant_step_forward", "variant_step_backward"}),
            "bugs": ALL},
    "ex4": {"analysis": frozenset({"gradient_flow"}),
            "data.tasks": frozenset({"temporal_order"}), "bugs": ALL},
    "ex5": {"gru": frozenset({"gru_step_forward", "gru_step_backward", "gru_forward",
                              "gru_backward", "_gru_step", "_gru_step_reset_after"}),
            "bugs": ALL},
}
#: modules of the autograder package a kernel imports
KERNEL_MODULES = ("__init__.py", "probe.py", "checks")
#: public helpers of the check modules that notebooks call in locked cells or in answers the
#: instructor's solution writes (``checks.eval_task()``): always kept callable, because a
#: release notebook (a student template) does not show the answers that use them
NOTEBOOK_HELPERS = frozenset({"MEMORISE_TEXT", "TASK", "TASK_T", "corpus_vocab", "eval_task",
                              "eval_text", "training_text"})
KIT_PACKAGES_NAMES = ("autograder", "lstm_reference")
#: stands for an empty ``__init__.py`` of a staged package's parents
_EMPTY_INIT = Path()
HIDDEN_MESSAGE = "is not available while this exercise is graded: write it yourself"


def exercise_key(exercise: str) -> str:
    """``ex1_lstm_from_scratch`` -> ``ex1`` (the key of :data:`HIDDEN`)."""
    return exercise.split("_", 1)[0]


# --------------------------------------------------------------------------- AST transforms


def _hidden_body(name: str) -> list[ast.stmt]:
    text = f"raise RuntimeError({(name + ' ' + HIDDEN_MESSAGE)!r})"
    return ast.parse(text).body


def _blank(tree: ast.Module, hide: Iterable[str] | str, keep: set[str]) -> ast.Module:
    """Replace the bodies of the hidden top-level functions and methods."""
    def hidden(name: str) -> bool:
        if name in keep or (name.startswith("__") and name.endswith("__")):
            return False
        return hide == ALL or name in hide

    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and hidden(node.name):
            node.body = _hidden_body(node.name)
        elif isinstance(node, ast.ClassDef) and hide == ALL and node.name not in keep:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and hidden(item.name) and not any(
                        isinstance(d, ast.Name) and d.id in ("property", "staticmethod")
                        for d in item.decorator_list):
                    item.body = _hidden_body(f"{node.name}.{item.name}")
    return tree


def _names_in(nodes: Iterable[ast.AST]) -> set[str]:
    out = set()
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                out.add(sub.id)
            elif isinstance(sub, ast.Attribute):
                out.add(sub.attr)
    return out


def _defs(tree: ast.Module) -> dict[str, ast.AST]:
    return {n.name: n for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}


def _called_in(nodes: Iterable[ast.AST]) -> set[str]:
    """Names of what is called in ``nodes`` (``f(...)``, ``m.f(...)``) and decorators."""
    out = set()
    for node in nodes:
        for sub in ast.walk(node):
            func = sub.func if isinstance(sub, ast.Call) else None
            if isinstance(func, ast.Name):
                out.add(func.id)
            elif isinstance(func, ast.Attribute):
                out.add(func.attr)
    return out


def _runs(node: ast.AST) -> list[ast.AST]:
    """What executes when a function runs: its body without the bodies of functions and
    lambdas defined inside it (those run only if called later)."""
    out: list[ast.AST] = []
    todo = list(node.body) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
        else [node]
    while todo:
        sub = todo.pop()
        if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef):
            todo.extend([*sub.decorator_list, *sub.args.defaults])
            continue
        if isinstance(sub, ast.Lambda):
            continue
        out.append(sub)
        todo.extend(ast.iter_child_nodes(sub))
    return out


def _called_now(node: ast.AST) -> set[str]:
    """Names called when ``node`` (a function) runs, nested function bodies excluded."""
    return {name for sub in _runs(node) if isinstance(sub, ast.Call)
            for name in _func_name(sub)}


def _func_name(call: ast.Call) -> set[str]:
    func = call.func
    if isinstance(func, ast.Name):
        return {func.id}
    if isinstance(func, ast.Attribute):
        return {func.attr}
    return set()


def _import_time_names(tree: ast.Module) -> set[str]:
    """Functions called by code that runs when the module is imported (not inside function
    bodies): they must keep their bodies for the package to import. A function only
    *referenced* at import time (put in a registry, say) can be hidden."""
    called: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            decorators = node.decorator_list
            called |= _called_in([*node.args.defaults, *node.args.kw_defaults, *decorators])
            called |= {d.id for d in decorators if isinstance(d, ast.Name)}
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    called |= _called_in([*item.decorator_list, *item.args.defaults])
                else:
                    called |= _called_in([item])
            called |= _called_in([*node.bases, *node.decorator_list])
        elif isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            continue  # a script's entry point: not run on import
        elif not isinstance(node, ast.Import | ast.ImportFrom):
            called |= _called_in([node])
    return called


def _closure(start: set[str], trees: dict[str, ast.Module], calls_only: bool = False,
             ) -> set[str]:
    """Names reachable from ``start`` through the bodies of any module's top-level defs
    (by name; over-approximates, which only keeps more). With ``calls_only`` only what a
    body calls is followed (what runs), not every name it mentions."""
    defs: dict[str, list[ast.AST]] = {}
    for tree in trees.values():
        for name, node in _defs(tree).items():
            defs.setdefault(name, []).append(node)
    keep, todo = set(), list(start)
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        for node in defs.get(name, []):
            todo.extend((_called_now(node) if calls_only else _names_in([node])) - keep)
    return keep


def _module_of(rel: str) -> str:
    return str(Path(rel).with_suffix("")).replace("/", ".").removesuffix(".__init__")


def _check_keep(trees: dict[str, ast.Module], notebook: frozenset[str]) -> dict[str, set[str]]:
    """Per check module, the names its kernel side needs (a fixpoint over imports between
    check modules, e.g. ex5 using ex1's helpers)."""
    by_module = {_module_of(rel): rel for rel in trees}
    roots: dict[str, set[str]] = {}
    grader_only: dict[str, set[str]] = {}
    for rel, tree in trees.items():
        r, g = _check_roots(tree)
        roots[rel], grader_only[rel] = r | set(notebook), g
    keep: dict[str, set[str]] = {}
    changed = True
    while changed:
        changed = False
        for rel, tree in trees.items():
            keep[rel] = _closure(roots[rel], {rel: tree}) - grader_only[rel]
            for node in tree.body:
                if isinstance(node, ast.ImportFrom) and node.module in by_module:
                    other = by_module[node.module]
                    wanted = {a.asname or a.name for a in node.names} & keep[rel]
                    new = {a.name for a in node.names if (a.asname or a.name) in wanted}
                    if not new <= roots[other]:
                        roots[other] |= new
                        changed = True
    return keep


def _registers_checks(tree: ast.Module) -> bool:
    """Whether a module defines checks (``Check(...)``): its grader-side code is stripped."""
    return any(isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Check"
               for n in ast.walk(tree))


def _check_roots(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(kernel roots, grader-only names) of a check module."""
    roots, grader_only = set(), set()
    for name in _defs(tree):
        if name.startswith("check_"):
            roots.add(name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Check":
            args = list(node.args)
            kws = {k.arg: k.value for k in node.keywords}
            for pos, key, bucket in ((1, "make_inputs", grader_only),
                                     (2, "run_student", roots), (3, "judge", grader_only)):
                value = args[pos] if len(args) > pos else kws.get(key)
                if isinstance(value, ast.Name):
                    bucket.add(value.id)
    module_level = set()
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            module_level |= _names_in([node])
    roots |= module_level - grader_only
    return roots - grader_only, grader_only


# --------------------------------------------------------------------------- staging


def _sources(package: Path) -> dict[str, Path]:
    return {str(p.relative_to(package.parent)): p for p in sorted(package.rglob("*.py"))
            if "__pycache__" not in p.parts}


def _extra_check_sources() -> dict[str, Path]:
    """Source files of extra check packages (``AUTOGRADE_CHECK_PACKAGES``, e.g. a test
    course's), staged beside the kit's own checks."""
    import importlib.util

    from autograder.judge import DEFAULT_CHECK_PACKAGES, check_packages

    out: dict[str, Path] = {}
    for name in check_packages():
        if name in DEFAULT_CHECK_PACKAGES or name.split(".")[0] in KIT_PACKAGES_NAMES:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            continue
        origin = Path(spec.origin)
        parts = name.split(".")
        if spec.submodule_search_locations:  # a package
            for path in sorted(origin.parent.rglob("*.py")):
                out["/".join([*parts, str(path.relative_to(origin.parent))])] = path
        else:
            out["/".join(parts) + ".py"] = origin
        for k in range(1, len(parts)):
            out.setdefault("/".join([*parts[:k], "__init__.py"]), _EMPTY_INIT)
    return out


def _module_key(rel: str) -> str:
    """``lstm_reference/data/tasks.py`` -> ``data.tasks``."""
    parts = Path(rel).with_suffix("").parts[1:]
    return ".".join(parts)


def _staged_sources(exercise: str, notebook_names: frozenset[str]) -> dict[str, str]:
    """Relative path -> source text of everything staged for ``exercise``.

    ``notebook_names`` are the names the notebook's trusted cells use (e.g. the helpers
    ``checks.training_text()``): they are kept in the check modules.
    """
    hidden = HIDDEN.get(exercise_key(exercise), {})
    out: dict[str, str] = {}
    kit = Path(autograder.__file__).parent
    checks = {rel: path for rel, path in _sources(kit).items()
              if rel.split("/")[1] in KERNEL_MODULES}
    checks.update(_extra_check_sources())
    check_trees = {rel: ast.parse(p.read_text(encoding="utf-8") if p != _EMPTY_INIT else "")
                   for rel, p in checks.items()}
    keep = _check_keep(check_trees, notebook_names)
    for rel, tree in check_trees.items():
        if _registers_checks(tree):
            tree = _blank(tree, ALL, keep[rel])
        out[rel] = ast.unparse(tree) + "\n"
    ref = Path(lstm_reference.__file__).parent
    ref_trees = {rel: ast.parse(p.read_text(encoding="utf-8")) for rel, p in _sources(ref).items()}
    import_time = set()
    for tree in ref_trees.values():
        import_time |= _import_time_names(tree)
    ref_keep = _closure(import_time, ref_trees, calls_only=True)
    for rel, tree in ref_trees.items():
        key = _module_key(rel)
        hide = hidden.get("*") or hidden.get(key)
        if key.endswith("__init__") or key == "":
            hide = None
        out[rel] = ast.unparse(_blank(tree, hide, ref_keep) if hide else tree) + "\n"
    return out


def _assets() -> list[Path]:
    ref = Path(lstm_reference.__file__).parent
    return sorted(p for p in ref.rglob("*") if p.is_file() and p.suffix in (".npz", ".txt"))


def notebook_names(sources: Iterable[str]) -> frozenset[str]:
    """Every name and attribute the given (trusted) cell sources mention."""
    from autograder.judge import _strip_magics

    names: set[str] = set()
    for source in sources:
        try:
            names |= _names_in([ast.parse(_strip_magics(source))])
        except SyntaxError:
            continue
    return frozenset(names)


def stage_library(exercise: str, names: frozenset[str] = frozenset(),
                  cache: Path | None = None) -> Path:
    """A read-only folder to put on a sandboxed kernel's ``PYTHONPATH`` for ``exercise``.

    ``names`` (see :func:`notebook_names`) are kept callable in the check modules. Staged
    once per content (a hash of the sources and of what is hidden) under ``cache``
    (default: a folder of the user's temporary directory) and compiled, so kernels start fast.
    """
    sources = _staged_sources(exercise, names | NOTEBOOK_HELPERS)
    digest = hashlib.sha256()
    for rel in sorted(sources):
        digest.update(rel.encode() + b"\0" + sources[rel].encode() + b"\0")
    for asset in _assets():
        digest.update(str(asset.name).encode() + asset.read_bytes()[:4096])
    base = cache or Path(tempfile.gettempdir()) / f"lstm-lab-sandbox-lib-{os.getuid()}"
    final = base / f"{exercise_key(exercise)}-{digest.hexdigest()[:16]}"
    if (final / ".complete").is_file():
        return final
    base.mkdir(parents=True, exist_ok=True)
    if base.stat().st_uid != os.getuid() or base.is_symlink():
        # someone else's folder: never trust what it holds
        base = Path(tempfile.mkdtemp(prefix="lstm-lab-sandbox-lib-"))
        final = base / final.name
    os.chmod(base, 0o755)
    work = Path(tempfile.mkdtemp(prefix=".staging-", dir=base))
    ref = Path(lstm_reference.__file__).parent
    for rel, text in sources.items():
        target = work / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        py_compile.compile(str(target), doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    for asset in _assets():
        target = work / "lstm_reference" / asset.relative_to(ref)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(asset, target)
    (work / ".complete").write_text("", encoding="utf-8")
    for path in [work, *work.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    try:
        work.rename(final)
    except OSError:  # another process staged the same content first
        shutil.rmtree(work, ignore_errors=True)
    return final
