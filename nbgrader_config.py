"""nbgrader configuration for LSTM Lab (the course root is the directory of this file).

Layout: ``source/<id>/<id>.ipynb`` (instructor version, with solutions and hidden tests),
``release/<id>/<id>.ipynb`` (student version), ``submitted/<student>/<id>/`` (collected work,
git-ignored). The gradebook ``gradebook.db`` is git-ignored too.
"""

import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

from autograder.nbgrader_execute import autograde_preprocessors
from autograder.nbgrader_feedback import HideTestTracebacks

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "lstm-lab"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db")
# Files never copied between source/release/submitted/autograded.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    ".pytest_cache",
    "feedback",
    "*.log",
    ".DS_Store",
    "kernel-*.json",
    "rubric.md",  # the instructor's rubric for the written answers (source/<id>/ only)
]

# `nbgrader autograde` grades the kit's way: each notebook runs in the grading sandbox with
# the grader's chosen inputs, and every test cell's verdict is recomputed outside the kernel
# (autograder/nbgrader_execute.py) before nbgrader records it. Without a sandbox it stops with
# a message; to grade anyway (trusted submissions only) set
#     c.SandboxedExecute.allow_unsandboxed = True
# and every graded notebook then says it was graded unsandboxed.
c.Autograde.autograde_preprocessors = autograde_preprocessors()
c.SandboxedExecute.timeout = 60
c.SandboxedExecute.notebook_timeout = 180

# nbgrader's own Execute (still used by `nbgrader validate`): a cell gets 60 s; a timed-out
# cell gets an error output and grading continues with the next cell.
c.Execute.timeout = 60
c.Execute.startup_timeout = 60
c.Execute.interrupt_on_timeout = True
c.Execute.iopub_timeout = 4
c.Execute.raise_on_iopub_timeout = True

# Deleted or stripped test cells are restored from the gradebook instead of going unnoticed.
c.OverwriteCells.add_missing_cells = True

c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("not attempted yet")'
}

# Feedback must not reveal the hidden tests: their source is cleared, and the traceback of a
# failed test cell (which quotes the lines that ran) becomes the check's one-line message.
c.GenerateFeedback.preprocessors = [
    GetGrades, ClearHiddenTests, HideTestTracebacks, CSSHTMLHeaderPreprocessor]
