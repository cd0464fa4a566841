"""Every command the instructor docs show exists and takes the flags they give it.

The ```bash blocks of README.md, docs/classroom.md and docs/instructors.md are split into
commands; each ``autograde`` command is parsed with the real parser of its sub-command (the
same ``argparse`` parser the CLI builds, so an unknown flag, a missing required option or a bad
``--format`` fails here), each ``nbgrader`` command is checked against nbgrader's sub-commands
and their flags and aliases, ``lstm-train`` / ``lstm-plots`` with their parsers, and each
``jupyter`` sub-command against the scripts installed, each
``make`` target against the Makefile it runs in (the kit's, or the published template's after a
``cd`` into the template). Inline ``autograde …`` spans of the same docs name a real
sub-command and only its flags. Nothing runs a kernel: parsing only.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import cli, instructor
from autograder.classroom import commands as classroom_commands
from autograder.errors import UsageError
from autograder.publish import cli as publish_cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = ["README.md", "docs/classroom.md", "docs/instructors.md"]
TEMPLATE_MAKEFILE = ROOT / "autograder" / "publish" / "template" / "Makefile"

#: ``autograde <sub-command>`` -> the parser that sub-command uses
SUBCOMMAND_PARSERS: dict[str, Callable[[], argparse.ArgumentParser]] = {
    "collect": instructor.collect_parser,
    "batch": instructor.batch_parser,
    "export": classroom_commands.export_parser,
    "report": classroom_commands.report_parser,
    "publish": publish_cli.parser,
}
#: placeholders of synopsis lines (``--jobs N``) -> a value of the option's type
PLACEHOLDERS = {"N": "2", "K/N": "1/2", "S": "60", "MB": "20"}
#: programs the docs use that have nothing to check here
UNCHECKED = {"cd", "git", "python"}


@dataclass(frozen=True)
class Command:
    doc: str
    line: int
    words: tuple[str, ...]
    in_template: bool  # after a `cd` out of the kit (into the published template)

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: {' '.join(self.words)}"


def bash_commands(doc: str) -> Iterator[Command]:
    """The commands of the doc's ```bash blocks: comments dropped, continuation lines (a
    trailing backslash, or an indented line of ``[--option]`` synopsis) joined."""
    lines = (ROOT / doc).read_text(encoding="utf-8").splitlines()
    in_block, in_template = False, False
    pending: tuple[int, str] | None = None

    def flush() -> Iterator[Command]:
        nonlocal in_template
        if pending is None:
            return
        words = tuple(shlex.split(pending[1], comments=True))
        if words and words[0] == "cd":
            in_template = len(words) > 1 and words[1] not in (".", "-")
        if words:
            yield Command(doc, pending[0], words, in_template)

    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("```"):
            if in_block:
                yield from flush()
                pending = None
            in_block = stripped == "```bash" and not in_block
            if stripped == "```bash":
                in_template = False
            continue
        if not in_block or not stripped:
            continue
        if pending is not None and (pending[1].endswith("\\")
                                    or (line[:1].isspace() and stripped.startswith(("[", "--")))):
            pending = (pending[0], pending[1].rstrip("\\") + " " + stripped)
            continue
        yield from flush()
        pending = (number, stripped)
    assert not in_block, f"{doc}: a ```bash block is not closed"


def inline_autograde(doc: str) -> Iterator[Command]:
    """Inline code spans of the doc that are an ``autograde`` command."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    for match in re.finditer(r"`(autograde(?: [^`\n]*)?)`", text):
        line = text.count("\n", 0, match.start()) + 1
        yield Command(doc, line, tuple(match.group(1).replace("…", "").split()), False)


def _synopsis_to_argv(words: tuple[str, ...]) -> list[str]:
    """``[--jobs N]`` -> ``--jobs 2``: brackets dropped, type placeholders given a value."""
    argv = []
    for word in words:
        word = word.strip("[]")
        if word:
            argv.append(PLACEHOLDERS.get(word, word))
    return argv


def autograde_parser(words: tuple[str, ...]) -> tuple[argparse.ArgumentParser, list[str]]:
    """The parser ``autograde`` uses for these words, and the words it parses."""
    rest = list(words[1:])
    if rest and rest[0] in SUBCOMMAND_PARSERS:
        return SUBCOMMAND_PARSERS[rest[0]](), rest[1:]
    return cli._parser(), rest


def parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse with the CLI's parser; any argparse error becomes an assertion naming it."""
    try:
        return parser.parse_args(argv)
    except (UsageError, instructor.UsageError) as exc:
        raise AssertionError(f"{parser.prog} rejects {argv}: {exc}") from None
    except SystemExit as exc:  # a plain argparse parser (lstm-train, lstm-plots)
        raise AssertionError(f"{parser.prog} rejects {argv} (exit {exc.code})") from None


def flags(words: list[str]) -> list[str]:
    return [w.split("=", 1)[0] for w in words if w.startswith("-") and w != "-"]


def nbgrader_app(name: str):  # -> the traitlets Application class of `nbgrader <name>`
    from nbgrader.apps.nbgraderapp import NbGraderApp

    assert name in NbGraderApp.subcommands, f"nbgrader has no sub-command {name!r}"
    return NbGraderApp.subcommands[name][0]


def make_targets(makefile: Path) -> set[str]:
    text = makefile.read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w.-]*)\s*:(?!=)", text, flags=re.MULTILINE))


ALL_COMMANDS = [c for doc in DOCS for c in bash_commands(doc)]
INLINE = [c for doc in DOCS for c in inline_autograde(doc)]


def test_the_docs_show_the_class_workflow() -> None:
    """The extraction finds what a teacher runs (so the checks below are not vacuous)."""
    shown = {(c.words[0], c.words[1]) for c in ALL_COMMANDS if len(c.words) > 1}
    for program, sub in [("autograde", "publish"), ("autograde", "collect"),
                         ("autograde", "batch"), ("autograde", "export"),
                         ("autograde", "report"), ("nbgrader", "generate_feedback"),
                         ("nbgrader", "export"), ("make", "grade")]:
        assert (program, sub) in shown, f"no `{program} {sub}` in the docs' bash blocks"
    assert set(SUBCOMMAND_PARSERS) == set(cli.INSTRUCTOR_COMMANDS) | {"publish"}


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=str)
def test_bash_command_parses(command: Command) -> None:
    program, args = command.words[0], list(command.words[1:])
    if program == "autograde":
        parser, rest = autograde_parser(command.words)
        known = set(parser._option_string_actions)
        unknown = [f for f in flags(_synopsis_to_argv(tuple(rest))) if f not in known]
        assert not unknown, f"{command}: {parser.prog} has no option {', '.join(unknown)}"
        parse(parser, _synopsis_to_argv(tuple(rest)))
    elif program == "nbgrader":
        app = nbgrader_app(args[0])
        known = {f"--{n}" for n in (*app.flags, *app.aliases)}
        unknown = [f for f in flags(args[1:]) if f not in known]
        assert not unknown, f"{command}: nbgrader {args[0]} has no option {', '.join(unknown)}"
    elif program == "make":
        makefile = TEMPLATE_MAKEFILE if command.in_template else ROOT / "Makefile"
        targets = [a for a in args if "=" not in a and not a.startswith("-")]
        missing = [t for t in targets if t not in make_targets(makefile)]
        assert not missing, f"{command}: no target {missing} in {makefile.relative_to(ROOT)}"
    elif program == "jupyter":  # `jupyter lab` runs the jupyter-lab script of the venv
        script = Path(sys.executable).parent / f"jupyter-{args[0]}"
        assert script.exists(), f"{command}: no {script.name} next to {sys.executable}"
    elif program in ("lstm-train", "lstm-plots"):
        module = "train" if program == "lstm-train" else "plots"
        build = __import__(f"lstm_reference.{module}", fromlist=["build_parser"]).build_parser
        parse(build(), args)
    else:
        assert program in UNCHECKED, f"{command}: a command this test does not know"


@pytest.mark.parametrize("command", INLINE, ids=str)
def test_inline_autograde_names_real_options(command: Command) -> None:
    parser, rest = autograde_parser(command.words)
    known = set(parser._option_string_actions)
    unknown = [f for f in flags(rest) if f not in known]
    assert not unknown, f"{command}: {parser.prog} has no option {', '.join(unknown)}"


def test_a_wrong_flag_is_caught() -> None:
    """The checks fail on what they are there to catch."""
    parser, rest = autograde_parser(("autograde", "batch", "--shards", "1/2"))
    assert "--shards" not in parser._option_string_actions
    with pytest.raises(AssertionError, match="rejects"):
        parse(parser, rest)
    with pytest.raises(AssertionError, match="rejects"):  # a --format it does not know
        parse(*autograde_parser(("autograde", "export", "--format", "excel")))
    with pytest.raises(AssertionError, match="no sub-command"):
        nbgrader_app("generate_feedbacks")
    assert "lab" in make_targets(TEMPLATE_MAKEFILE) and "lab" not in make_targets(ROOT / "Makefile")
