"""nbgrader configuration for LSTM Lab (the course root is the directory of this file).

Layout: ``source/<id>/<id>.ipynb`` (instructor version, with solutions and hidden tests),
``release/<id>/<id>.ipynb`` (student version), ``submitted/<student>/<id>/`` (collected work,
git-ignored). The gradebook ``gradebook.db`` is git-ignored too.
"""

import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

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

# Execution limits: a cell gets 60 s (the longest training cell needs a few seconds);
# a timed-out cell gets an error output and grading continues with the next cell.
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

# Feedback must not reveal the hidden tests.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
