"""``autograde publish DEST``: the student template of the kit.

The instructor's kit (``source/`` with every solution and hidden test, the course builder, the
instructor workflows) is never what students fork. ``publish`` writes what they get:

* ``assignments/`` — the release notebooks, where the student works;
* ``release/`` — the same notebooks, unchanged, which the grader trusts, and
  ``release/hidden_tests.json``, the hidden tests (calls of registered checks whose inputs are
  drawn at grading: their text reveals nothing), so a student's ``make grade`` and CI grade the
  same checks for the same points as the instructor's grade;
* the grading path of :mod:`autograder` and the modules of :mod:`lstm_reference` the notebooks
  and checks import (:mod:`autograder.publish.tree`);
* the student workflow (GitHub Classroom's autograding annotations), README, Makefile,
  pyproject.toml and .gitignore.

No solution text: :mod:`autograder.publish.vet` refuses hidden tests that could reveal
anything, and the writer refuses a tree that would contain a solution line.
"""

from autograder.publish.build import Published, PublishError, publish, template_files

__all__ = ["PublishError", "Published", "publish", "template_files"]
