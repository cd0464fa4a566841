"""A preprocessor for ``nbgrader generate_feedback``: test cells never show their traceback.

After ``nbgrader autograde`` a failed test cell keeps IPython's traceback, which quotes the
lines of the cell that ran — hidden tests included — and nbgrader's ``ClearHiddenTests`` only
clears the cell's source. :class:`HideTestTracebacks` replaces the error output of every
autograded test cell by one line, ``<error name>: <the check's message>`` (the kit's checks
say what was wrong and how to fix it in that message), so feedback names the check and the
problem, never the hidden test's code. The course's ``nbgrader_config.py`` lists it in
``GenerateFeedback.preprocessors``.
"""

from __future__ import annotations

from typing import Any

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

#: what a failed test cell shows when its error carries no message
NO_MESSAGE = "the test failed (see the check's name in the cell above)"


def hide_traceback(output: dict[str, Any]) -> None:
    """Make one ``error`` output show only its name and message."""
    ename = str(output.get("ename") or "Error")
    evalue = str(output.get("evalue") or "").strip() or NO_MESSAGE
    output["traceback"] = [f"{ename}: {evalue}"]


class HideTestTracebacks(NbGraderPreprocessor):
    """Replace the traceback of every autograded test cell by ``ename: message``."""

    def preprocess_cell(self, cell: Any, resources: dict[str, Any], cell_index: int,
                        ) -> tuple[Any, dict[str, Any]]:
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    hide_traceback(output)
        return cell, resources
